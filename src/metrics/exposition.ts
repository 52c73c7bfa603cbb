import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
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
  /** The registry's text, faster than `registry.metrics()`; used instead of it when given. */
  render?: () => string;
}

export interface RendererOptions {
  /** How long the process metrics (CPU, memory, event loop…) are reused across scrapes. */
  processMaxAgeMs?: number;
  /** After a change, wait this long for more before rendering in the background… */
  renderQuietMs?: number;
  /** …but no longer than this after the first unrendered change. */
  renderMaxDelayMs?: number;
  now?: () => number;
}

/** One rendered part of the exposition, as text and as raw deflate blocks. */
interface Part {
  text: Buffer;
  /** Raw deflate of `text`; ends with a sync flush (exporter part) or the final block (process part). */
  deflated: Buffer;
  crc: number;
}

interface ExporterPart extends Part {
  change: number;
}

interface ProcessPart extends Part {
  renderedAt: number;
}

/** A response body, built once for each pair of parts and reused by every scrape until one changes. */
interface Body {
  exporter: ExporterPart;
  process: ProcessPart;
  identity?: Buffer;
  gzip?: Buffer;
}

const deflateRawAsync = promisify(zlib.deflateRaw);

const { crc32 } = zlib;
// ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=unix (RFC 1952)
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/**
 * One gzip member holding both parts: the exporter part's deflate blocks end byte-aligned
 * with a sync flush, so the process part's blocks can follow them, and zlib's crc32 carries
 * on from the first part's checksum. A single member, unlike concatenated gzip files, is read
 * whole by every client (curl and some browsers stop after the first member).
 */
function gzipBody(exporter: Part, process: Part): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(process.text, exporter.crc), 0);
  trailer.writeUInt32LE((exporter.text.length + process.text.length) % 2 ** 32, 4);
  return Buffer.concat([GZIP_HEADER, exporter.deflated, process.deflated, trailer]);
}

/**
 * Serves the exposition from prepared bytes. The exporter's own series only change when a poll
 * ends: they are rendered and compressed once per change (in the background, once per burst of
 * poll results), never per scrape. The process metrics are rendered and compressed at most once
 * per `processMaxAgeMs`, so a scrape costs the same at 1 account and at 1000.
 */
export class MetricsRenderer {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly processMaxAgeMs: number;
  private readonly renderQuietMs: number;
  private readonly renderMaxDelayMs: number;
  private readonly now: () => number;
  private exporterPart: ExporterPart | undefined;
  private exporterRendering: Promise<ExporterPart> | undefined;
  private processPart: ProcessPart | undefined;
  private processRendering: Promise<ProcessPart> | undefined;
  private processGeneration = 0;
  private body: Body | undefined;
  private renderTimer: NodeJS.Timeout | undefined;
  private firstUnrenderedAt: number | undefined;

  constructor(
    private readonly exporter: MetricsSource,
    private readonly process: Registry,
    options: RendererOptions = {},
  ) {
    this.processMaxAgeMs = options.processMaxAgeMs ?? 1000;
    this.renderQuietMs = options.renderQuietMs ?? 100;
    this.renderMaxDelayMs = options.renderMaxDelayMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** The whole exposition as text. */
  async render(): Promise<string> {
    return (await this.payload(false)).toString('utf8');
  }

  /** The whole exposition as response bytes, gzipped or not. */
  async payload(gzip: boolean): Promise<Buffer> {
    const [exporter, process] = await Promise.all([this.currentExporterPart(), this.currentProcessPart()]);
    if (this.body?.exporter !== exporter || this.body.process !== process) this.body = { exporter, process };
    const body = this.body;
    if (gzip) return (body.gzip ??= gzipBody(exporter, process));
    return (body.identity ??= Buffer.concat([exporter.text, process.text]));
  }

  /**
   * Tells the renderer its source changed, so the exporter part is rendered before the next
   * scrape asks for it: after `renderQuietMs` without further changes, or `renderMaxDelayMs`
   * after the first one, whichever comes first. A scrape never gets older text than it would
   * without this; it just finds the work done.
   */
  sourceChanged(): void {
    const now = this.now();
    this.firstUnrenderedAt ??= now;
    const delay = Math.max(0, Math.min(this.renderQuietMs, this.firstUnrenderedAt + this.renderMaxDelayMs - now));
    if (this.renderTimer) clearTimeout(this.renderTimer);
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      this.firstUnrenderedAt = undefined;
      this.currentExporterPart().catch(() => undefined);
    }, delay);
    this.renderTimer.unref();
  }

  /** Drops the cached process metrics, for a change that must show at the next scrape (a reload). */
  processChanged(): void {
    // A render already running read the old values: it must neither be reused nor stored.
    this.processGeneration++;
    this.processPart = undefined;
    this.processRendering = undefined;
  }

  /** Stops a pending background render. */
  close(): void {
    if (this.renderTimer) clearTimeout(this.renderTimer);
    this.renderTimer = undefined;
  }

  /**
   * The exporter part for the current change count. Renders run one at a time; a scrape that
   * finds one running waits for it, and then for one more if the source changed meanwhile, so it
   * never gets text older than the state it arrived at.
   */
  private async currentExporterPart(): Promise<ExporterPart> {
    const wanted = this.exporter.changeCount();
    for (;;) {
      if (this.exporterPart && this.exporterPart.change >= wanted) return this.exporterPart;
      this.exporterRendering ??= this.renderExporterPart().finally(() => {
        this.exporterRendering = undefined;
      });
      const part = await this.exporterRendering;
      if (part.change >= wanted) return part;
    }
  }

  private async renderExporterPart(): Promise<ExporterPart> {
    const change = this.exporter.changeCount();
    const text = Buffer.from(this.exporter.render ? this.exporter.render() : await this.exporter.registry.metrics());
    const deflated = await deflateRawAsync(text, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const part = { change, text, deflated, crc: crc32(text) };
    if (!this.exporterPart || this.exporterPart.change <= change) this.exporterPart = part;
    return part;
  }

  private currentProcessPart(): Promise<ProcessPart> | ProcessPart {
    const part = this.processPart;
    if (part && this.now() - part.renderedAt < this.processMaxAgeMs) return part;
    if (!this.processRendering) {
      const rendering = this.renderProcessPart().finally(() => {
        if (this.processRendering === rendering) this.processRendering = undefined;
      });
      this.processRendering = rendering;
    }
    return this.processRendering;
  }

  private async renderProcessPart(): Promise<ProcessPart> {
    const generation = this.processGeneration;
    const renderedAt = this.now();
    const text = Buffer.from(await this.process.metrics());
    const deflated = await deflateRawAsync(text);
    const part = { renderedAt, text, deflated, crc: crc32(text) };
    if (generation === this.processGeneration) this.processPart = part;
    return part;
  }
}
