const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * A decimal number written as text ("12.5", "-3", ".5", "99.990000"; white space around it is
 * dropped), or undefined. Never NaN, never infinite: "1e3", "Infinity", "0x10", "1_000" and ""
 * are not decimals.
 */
export function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DECIMAL_RE.test(trimmed)) return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : undefined;
}
