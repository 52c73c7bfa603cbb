import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client's default metrics include gauges named *_total, which `promtool check metrics`
 * rejects as non-counters; the per-type gauges without the suffix carry the same data.
 */
const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createProcessRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  return registry;
}

export interface MetricsSource {
  registry: Registry;
  /** Changes whenever the registry's content changes; equal values mean the text is unchanged. */
  changeCount(): number;
}

/**
 * Renders the exporter's own series only when a poll changed them, and the (cheap, always
 * changing) process metrics on every scrape.
 */
export class MetricsRenderer {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private cachedText = '';
  private cachedAt = -1;

  constructor(
    private readonly exporter: MetricsSource,
    private readonly process: Registry,
  ) {}

  async render(): Promise<string> {
    const change = this.exporter.changeCount();
    if (change !== this.cachedAt) {
      this.cachedText = await this.exporter.registry.metrics();
      this.cachedAt = change;
    }
    return this.cachedText + (await this.process.metrics());
  }
}
