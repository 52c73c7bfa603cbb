import type { Account } from './account';
import { DAY_MS, spendPerDay, spentBetween, SPEND_WINDOW_MS } from './balance-math';
import type { PollResult } from './poller';

/** One kept balance: the last one seen in its time bucket, and the money spent within it. */
export interface HistoryPoint {
  atMs: number;
  balance: number;
  /** Sum of the decreases (top-ups count 0) from the previous poll up to this one. */
  spent: number;
}

export interface BalanceHistoryOptions {
  accounts: readonly Account[];
  /** Most points kept per account. */
  maxPoints?: number;
  /** How far back points are kept. */
  spanMs?: number;
  now?: () => number;
}

export const DEFAULT_HISTORY_POINTS = 240;
export const DEFAULT_HISTORY_SPAN_MS = DAY_MS;
// Every poll is its own point until there are too many; then buckets widen as needed.
const FIRST_BUCKET_MS = 1;

interface Series {
  points: HistoryPoint[];
  bucketMs: number;
  lastBalance?: number;
  samples: number;
}

/**
 * The recent balances of each account, in memory and bounded: at most `maxPoints` per account
 * over the last `spanMs`. Points start one per poll; when there are too many, the bucket width
 * doubles and neighbours merge, keeping the later balance and the summed spend, so the spend
 * rate stays exact (to one bucket at the window's edge) however coarse the chart becomes.
 */
export class BalanceHistory {
  private readonly series = new Map<string, Series>();
  private readonly maxPoints: number;
  private readonly spanMs: number;
  private readonly now: () => number;

  constructor(options: BalanceHistoryOptions) {
    this.maxPoints = options.maxPoints ?? DEFAULT_HISTORY_POINTS;
    this.spanMs = options.spanMs ?? DEFAULT_HISTORY_SPAN_MS;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxPoints) || this.maxPoints < 2) throw new RangeError(`balance history needs at least 2 points, got ${this.maxPoints}`);
    if (!(this.spanMs > 0)) throw new RangeError(`balance history span must be positive, got ${this.spanMs} ms`);
    this.setAccounts(options.accounts);
  }

  setAccounts(accounts: readonly Account[]): void {
    const names = new Set(accounts.map((a) => a.name));
    for (const name of this.series.keys()) if (!names.has(name)) this.series.delete(name);
    for (const name of names) if (!this.series.has(name)) this.series.set(name, { points: [], bucketMs: FIRST_BUCKET_MS, samples: 0 });
  }

  record(result: PollResult): void {
    if (result.outcome.kind !== 'success') return;
    this.add(result.account.name, result.startedAt + result.durationSeconds * 1000, result.outcome.balance);
  }

  add(name: string, atMs: number, balance: number): void {
    const series = this.series.get(name);
    if (!series || !Number.isFinite(balance)) return;
    const spent = series.lastBalance === undefined ? 0 : spentBetween(series.lastBalance, balance);
    series.lastBalance = balance;
    series.samples++;
    const last = series.points[series.points.length - 1];
    if (last && Math.floor(last.atMs / series.bucketMs) === Math.floor(atMs / series.bucketMs)) {
      last.atMs = atMs;
      last.balance = balance;
      last.spent += spent;
    } else {
      series.points.push({ atMs, balance, spent });
    }
    this.prune(series, atMs);
    while (series.points.length > this.maxPoints) {
      series.bucketMs *= 2;
      series.points = mergeBuckets(series.points, series.bucketMs);
    }
  }

  /** The kept points of an account within the span, oldest first (copies). */
  points(name: string): HistoryPoint[] {
    const series = this.series.get(name);
    if (!series) return [];
    const from = this.now() - this.spanMs;
    return series.points.filter((p) => p.atMs > from).map((p) => ({ ...p }));
  }

  /** Spend per day over the recording rule's window, from the kept points; undefined before two polls. */
  spendPerDay(name: string, windowMs: number = SPEND_WINDOW_MS): number | undefined {
    const series = this.series.get(name);
    if (!series || series.samples < 2) return undefined;
    return spendPerDay(series.points, this.now(), windowMs);
  }

  private prune(series: Series, newestMs: number): void {
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
