/**
 * Reports a metric that failed to compute once per distinct error, not at every rebuild: a
 * metric that fails at every read would otherwise log a line per rebuild. A new error message
 * for the same metric is reported again.
 */
export function reportEachMetricErrorOnce(
  report: (metric: string, message: string) => void,
): (metric: string, error: unknown) => void {
  const last = new Map<string, string>();
  return (metric, error) => {
    const message = error instanceof Error ? error.message : String(error);
    if (last.get(metric) === message) return;
    last.set(metric, message);
    report(metric, message);
  };
}
