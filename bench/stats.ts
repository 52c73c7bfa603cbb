/** The q-quantile (0..1) of sorted values, nearest-rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Flags of the form --name=value, with defaults; unknown flags are an error. */
export function readFlags<T extends Record<string, number | string>>(argv: readonly string[], defaults: T): T {
  const result: Record<string, number | string> = { ...defaults };
  for (const arg of argv) {
    const match = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
    const name = match?.[1];
    if (!match || name === undefined || !(name in defaults))
      throw new Error(
        `unknown argument "${arg}"; flags: ${Object.keys(defaults)
          .map((k) => `--${k}=`)
          .join(' ')}`,
      );
    const value = match[2] as string;
    if (typeof defaults[name] === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new Error(`--${name}: "${value}" is not a number`);
      result[name] = n;
    } else result[name] = value;
  }
  return result as T;
}

export const MIB = 1024 * 1024;
