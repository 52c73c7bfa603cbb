import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client's default metrics include gauges named *_total, which `promtool check metrics`
 * rejects as non-counters; the per-type gauges without the suffix carry the same data.
 */
const DROPPED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createProcessRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  return registry;
}

/**
 * A registry of metrics derived from one owner's state (the account store's, the configuration
 * reload's), and what that owner says about changes to it.
 */
export interface MetricsSource {
  /** Every metric registered here is served, whoever registered it. */
  registry: Registry;
  /** Grows whenever a metric the source owns changes. */
  changeCount(): number;
  /** Grows whenever the named metric changes; undefined for metrics the source does not own, which are rendered on every rebuild. */
  metricChangeCount?(name: string): number | undefined;
  /** Calls `listener` after each change, so a rebuild can be scheduled. */
  onChange?(listener: () => void): void;
  /**
   * Called as a rebuild starts, and `unpin` as it ends: the source's metrics read in between
   * show one instant, so a text never shows half of a poll result.
   */
  pin?(): void;
  unpin?(): void;
}

export interface RendererOptions {
  /** How long the process metrics (CPU, memory, event loop…) are reused across rebuilds. */
  processMaxAgeMs?: number;
  /** After a change, wait this long for more before rebuilding in the background… */
  renderQuietMs?: number;
  /** …but no longer than this after the first change not yet rebuilt. */
  renderMaxDelayMs?: number;
  /** A scrape that finds the exposition older than this starts a rebuild in the background. */
  refreshAfterMs?: number;
  /** …and one that finds it older than this waits for the rebuild, unless polls are running. */
  maxStaleMs?: number;
  /** Whether polls are running; while they are, scrapes never wait for a rebuild. */
  pollsRunning?: () => boolean;
  /**
   * A metric that failed to format (its collect() threw): it is left out of this rebuild and the
   * others are served, as node_exporter serves the collectors that work.
   */
  onMetricError?: (metric: string, error: unknown) => void;
  now?: () => number;
}

/** A prepared response body, served to every scrape until the next rebuild replaces it. */
interface Body {
  /** The sources' change count when the rebuild started. */
  change: number;
  builtAt: number;
  identity: Buffer;
  gzip: Buffer;
}

/** One metric's text as the registry prints it, kept until the metric changes. */
interface CachedMetric {
  metric: object;
  change: number;
  text: string;
}

const gzipAsync = promisify(zlib.gzip);
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Serves the exposition from prepared bytes, rebuilt off the scrape path: after a source
 * changes (debounced), and when a scrape finds the bytes older than `refreshAfterMs`. A rebuild
 * formats one metric at a time with prom-client's own `getSingleMetricAsString`, yielding to the
 * event loop in between, and reuses the text of a source's metrics that did not change;
 * metrics a source does not own are formatted every time. The process metrics are read at most
 * once per `processMaxAgeMs`. Text and gzip are built once per rebuild, gzip on the thread pool.
 *
 * While polls run, scrapes get the last prepared bytes and never wait. When they do not, a
 * scrape waits for a rebuild if any source changed since the bytes were built (a poll result, a
 * reload), or the bytes are older than `maxStaleMs`: so a scrape after a finished poll or a
 * reload sees its result, as it would from prom-client directly.
 */
export class MetricsRenderer {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly processMaxAgeMs: number;
  private readonly renderQuietMs: number;
  private readonly renderMaxDelayMs: number;
  private readonly refreshAfterMs: number;
  private readonly maxStaleMs: number;
  private readonly pollsRunning: () => boolean;
  private readonly now: () => number;
  private readonly metricTexts = new Map<string, CachedMetric>();
  private processText: { text: string; readAt: number } | undefined;
  private readonly sources: readonly MetricsSource[];
  private readonly onMetricError: (metric: string, error: unknown) => void;
  private body: Body | undefined;
  /** The rebuild running, with the change count it started from. */
  private running: { done: Promise<Body>; change: number } | undefined;
  /** The rebuild to start when the running one ends, shared by everyone who asks meanwhile. */
  private queued: Promise<Body> | undefined;
  /** The last rebuild failed: scrapes wait for a new one rather than get old bytes silently. */
  private failed = false;
  private renderTimer: NodeJS.Timeout | undefined;
  private firstUnrenderedAt: number | undefined;
  private closed = false;

  /** `sources` are rendered in order, then the process metrics. */
  constructor(
    sources: MetricsSource | readonly MetricsSource[],
    private readonly process: Registry,
    options: RendererOptions = {},
  ) {
    this.processMaxAgeMs = options.processMaxAgeMs ?? 1000;
    this.renderQuietMs = options.renderQuietMs ?? 100;
    this.renderMaxDelayMs = options.renderMaxDelayMs ?? 1000;
    this.refreshAfterMs = options.refreshAfterMs ?? 1000;
    this.maxStaleMs = options.maxStaleMs ?? 2000;
    this.pollsRunning = options.pollsRunning ?? (() => false);
    this.now = options.now ?? Date.now;
    this.onMetricError = options.onMetricError ?? (() => undefined);
    this.sources = Array.isArray(sources) ? sources : [sources as MetricsSource];
    for (const source of this.sources) source.onChange?.(() => this.sourceChanged());
  }

  /** The whole exposition as text. */
  async render(): Promise<string> {
    return (await this.payload(false)).toString('utf8');
  }

  /** The whole exposition as response bytes, gzipped or not. */
  async payload(gzip: boolean): Promise<Buffer> {
    const body = await this.currentBody();
    return gzip ? body.gzip : body.identity;
  }

  /**
   * Tells the renderer its source changed, so it rebuilds before the next scrape asks: after
   * `renderQuietMs` without further changes, or `renderMaxDelayMs` after the first one,
   * whichever comes first.
   */
  sourceChanged(): void {
    if (this.closed) return;
    const now = this.now();
    this.firstUnrenderedAt ??= now;
    const delay = Math.max(0, Math.min(this.renderQuietMs, this.firstUnrenderedAt + this.renderMaxDelayMs - now));
    if (this.renderTimer) clearTimeout(this.renderTimer);
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      this.firstUnrenderedAt = undefined;
      this.rebuild().catch(() => undefined);
    }, delay);
    this.renderTimer.unref();
  }

  /** Grows with every change any source reports. */
  private changeCount(): number {
    let sum = 0;
    for (const source of this.sources) sum += source.changeCount();
    return sum;
  }

  /** Stops a pending background rebuild. */
  close(): void {
    this.closed = true;
    if (this.renderTimer) clearTimeout(this.renderTimer);
    this.renderTimer = undefined;
  }

  private currentBody(): Promise<Body> | Body {
    const body = this.body;
    // Only the very first scrape has nothing to be served.
    if (!body || this.failed) return this.freshBody();
    const age = this.now() - body.builtAt;
    const behind = body.change !== this.changeCount();
    if ((behind || age > this.maxStaleMs) && !this.pollsRunning()) return this.freshBody();
    // Changes have their own (debounced) rebuild; rebuilding for each scrape that finds one
    // during a poll cycle would rebuild back to back.
    if (age >= this.refreshAfterMs && !this.running) this.rebuild().catch(() => undefined);
    return body;
  }

  /** Bytes that hold every change made to the sources before this call. */
  private async freshBody(): Promise<Body> {
    const change = this.changeCount();
    const covers = (from: { change: number }): boolean => from.change >= change;
    for (;;) {
      // A rebuild that started after the last change will do; an older one is followed by a new one.
      const running = this.running;
      const body = await (running && covers(running) ? running.done : this.rebuild());
      if (covers(body)) return body;
    }
  }

  /** A rebuild that starts now, or right after the one running. */
  private rebuild(): Promise<Body> {
    if (!this.running) {
      const change = this.changeCount();
      const done = this.build(change).finally(() => {
        this.running = undefined;
      });
      this.running = { done, change };
      return done;
    }
    this.queued ??= this.running.done
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.rebuild();
      });
    return this.queued;
  }

  private async build(change: number): Promise<Body> {
    const builtAt = this.now();
    try {
      const exporterText = await this.renderSources();
      const processText = await this.readProcess();
      const identity = Buffer.from(exporterText + processText);
      const body = { change, builtAt, identity, gzip: await gzipAsync(identity) };
      this.body = body;
      this.failed = false;
      return body;
    } catch (error) {
      this.failed = true;
      throw error;
    }
  }

  /**
   * The sources' registries' text, each exactly as `registry.metrics()` prints it, one metric per
   * turn of the event loop, through prom-client's own `getSingleMetricAsString`. A source is
   * pinned while its metrics are read, so they show one instant (a failure counted, `up` at 0:
   * both or neither).
   */
  private async renderSources(): Promise<string> {
    const texts: string[] = [];
    const names = new Set<string>();
    for (const source of this.sources) {
      // A turn of its own, so the pin below takes the source as the last change left it.
      await nextTurn();
      source.pin?.();
      try {
        texts.push(await this.formatEach(source, names));
      } finally {
        source.unpin?.();
      }
    }
    for (const name of this.metricTexts.keys()) if (!names.has(name)) this.metricTexts.delete(name);
    return texts.join('');
  }

  /** One source's text; adds the names of its metrics to `names`. */
  private async formatEach(source: MetricsSource, names: Set<string>): Promise<string> {
    const { registry } = source;
    const plan = registry.getMetricsAsArray().map((metric) => {
      names.add(metric.name);
      const change = source.metricChangeCount?.(metric.name);
      const cached = this.metricTexts.get(metric.name);
      const reused =
        change !== undefined && cached?.metric === metric && cached.change === change ? cached.text : undefined;
      return { metric, change, reused };
    });
    const texts: string[] = [];
    for (const { metric, change, reused } of plan) {
      if (reused !== undefined) {
        texts.push(reused);
        continue;
      }
      // Removed while this rebuild yielded: gone from the registry's own output too.
      if (registry.getSingleMetric(metric.name) === undefined) continue;
      const text = await this.formatOne(registry, metric.name);
      if (text !== undefined) {
        if (change !== undefined) this.metricTexts.set(metric.name, { metric, change, text });
        texts.push(text);
      }
      await nextTurn();
    }
    return `${texts.join('\n\n')}\n`;
  }

  /** One metric's text, or undefined when its collect() threw: one broken metric does not fail the scrape. */
  private async formatOne(registry: Registry, name: string): Promise<string | undefined> {
    try {
      return await registry.getSingleMetricAsString(name);
    } catch (error) {
      this.onMetricError(name, error);
      return undefined;
    }
  }

  private async readProcess(): Promise<string> {
    const cached = this.processText;
    if (cached && this.now() - cached.readAt < this.processMaxAgeMs) return cached.text;
    const readAt = this.now();
    const text = await this.process.metrics();
    this.processText = { text, readAt };
    return text;
  }
}
