/** Retries `probe` until it returns a value other than undefined; the jest timeout bounds the wait. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
