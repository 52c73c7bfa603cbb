import { DAY_MS, spendPerDay, spentAcross, SPEND_WINDOW_MS } from './money';

/** One kept balance: the last one seen in its time bucket, and the money spent within it. */
export interface HistoryPoint {
  atMs: number;
  /** The first poll merged into this point (atMs when it holds one poll). */
  firstAtMs: number;
  balance: number;
  /** Sum of the decreases (top-ups count 0) of the steps ending at the polls firstAtMs..atMs. */
  spent: number;
}

export interface HistoryOptions {
  /**
   * --poll.max-age: a decrease across a longer gap between successful polls spends 0, as in the
   * recording rule (the exporter drops the balance series after that age).
   */
  maxGapMs: number;
  /** Most points kept per account. */
  maxPoints?: number;
  /** How far back points are kept. */
  spanMs?: number;
  now?: () => number;
}

const DEFAULT_HISTORY_POINTS = 240;
const DEFAULT_HISTORY_SPAN_MS = DAY_MS;
// Every poll is its own point until there are too many; then buckets widen as needed.
const FIRST_BUCKET_MS = 1;

interface Series {
  points: HistoryPoint[];
  bucketMs: number;
  lastBalance?: number;
  lastAtMs?: number;
  samples: number;
}

/**
 * The recent balances of one account, in memory and bounded: at most `maxPoints` over the last
 * `spanMs`. Points start one per poll; when there are too many, the bucket width doubles and
 * neighbours merge, keeping the later balance and the summed spend, so the spend rate stays
 * exact (to one bucket at the window's edge, where it errs low) however coarse the chart
 * becomes. The store's entry of the account owns it: a removed account takes it along.
 */
export class BalanceHistory {
  private series: Series = { points: [], bucketMs: FIRST_BUCKET_MS, samples: 0 };
  private readonly maxPoints: number;
  private readonly spanMs: number;
  private readonly maxGapMs: number;
  private readonly now: () => number;

  constructor(options: HistoryOptions) {
    this.maxPoints = options.maxPoints ?? DEFAULT_HISTORY_POINTS;
    this.spanMs = options.spanMs ?? DEFAULT_HISTORY_SPAN_MS;
    this.maxGapMs = options.maxGapMs;
    this.now = options.now ?? Date.now;
    if (!(this.maxGapMs > 0)) throw new RangeError(`balance history max gap must be positive, got ${this.maxGapMs} ms`);
    if (!Number.isInteger(this.maxPoints) || this.maxPoints < 2)
      throw new RangeError(`balance history needs at least 2 points, got ${this.maxPoints}`);
    if (!(this.spanMs > 0)) throw new RangeError(`balance history span must be positive, got ${this.spanMs} ms`);
  }

  add(atMs: number, balance: number): void {
    const { series } = this;
    if (!Number.isFinite(balance)) return;
    const spent =
      series.lastBalance === undefined || series.lastAtMs === undefined
        ? 0
        : spentAcross(series.lastBalance, balance, atMs - series.lastAtMs, this.maxGapMs);
    series.lastBalance = balance;
    series.lastAtMs = atMs;
    series.samples++;
    const last = series.points[series.points.length - 1];
    if (last && Math.floor(last.atMs / series.bucketMs) === Math.floor(atMs / series.bucketMs)) {
      last.atMs = atMs;
      last.balance = balance;
      last.spent += spent;
    } else {
      series.points.push({ atMs, firstAtMs: atMs, balance, spent });
    }
    this.prune(atMs);
    while (series.points.length > this.maxPoints) {
      series.bucketMs *= 2;
      series.points = mergeBuckets(series.points, series.bucketMs);
    }
  }

  /** The kept points within the span, oldest first (copies). */
  points(): HistoryPoint[] {
    const from = this.now() - this.spanMs;
    return this.series.points.filter((p) => p.atMs > from).map((p) => ({ ...p }));
  }

  /**
   * Spend per day over the recording rule's window, from the kept points; undefined before two
   * polls. Only points whose every step lies inside the window count, so a merged point at the
   * window's start makes the rate lower, never higher, than the rule's.
   */
  spendPerDay(windowMs: number = SPEND_WINDOW_MS): number | undefined {
    const { series } = this;
    if (series.samples < 2) return undefined;
    const nowMs = this.now();
    const steps = series.points.filter((p) => p.atMs <= nowMs).map((p) => ({ atMs: p.firstAtMs, spent: p.spent }));
    return spendPerDay(steps, nowMs, windowMs);
  }

  private prune(newestMs: number): void {
    const { series } = this;
    const from = newestMs - this.spanMs;
    let drop = 0;
    while (drop < series.points.length && (series.points[drop] as HistoryPoint).atMs <= from) drop++;
    if (drop > 0) series.points.splice(0, drop);
  }
}

function mergeBuckets(points: readonly HistoryPoint[], bucketMs: number): HistoryPoint[] {
  const merged: HistoryPoint[] = [];
  for (const point of points) {
    const last = merged[merged.length - 1];
    if (last && Math.floor(last.atMs / bucketMs) === Math.floor(point.atMs / bucketMs)) {
      last.atMs = point.atMs;
      last.balance = point.balance;
      last.spent += point.spent;
    } else {
      merged.push({ ...point });
    }
  }
  return merged;
}
