const MANTISSA = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)`;
const DECIMAL_RE = new RegExp(`^${MANTISSA}$`);
const DECIMAL_WITH_EXPONENT_RE = new RegExp(`^${MANTISSA}(?:[eE][+-]?\\d+)?$`);

/**
 * A decimal number written as text ("12.5", "-3", ".5", "99.990000"; white space around it is
 * dropped), or undefined. `exponent` also accepts "1e3". Never NaN, never infinite: "Infinity",
 * "0x10", "1_000" and "" are not decimals.
 */
export function parseDecimal(text: string, options: { exponent?: boolean } = {}): number | undefined {
  const trimmed = text.trim();
  if (!(options.exponent ? DECIMAL_WITH_EXPONENT_RE : DECIMAL_RE).test(trimmed)) return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : undefined;
}
