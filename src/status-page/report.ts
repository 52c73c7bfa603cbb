import { accountState, lowBalanceThreshold, type AccountState, type LowBalanceThreshold } from './verdict';
import type { AccountStatus, LastError } from '../store/account-store';
import { DAY_MS, daysLeft, HOUR_MS, SPEND_WINDOW_MS } from '../store/money';
import type { HistoryPoint } from '../store/balance-history';
import type { AccountStore } from '../store/account-store';
import { failureReasonWords, statusHint } from '../itnio/failures';
import type { NumbersSlot } from '../numbers/numbers-state';
import { numbersReport, type NumbersReport } from './numbers-report';
import {
  PAGE_NORMAL_MIN_HOURS,
  RULES_NORMAL_QUANTILE,
  RULES_SURGE_FACTOR,
  RULES_SURGE_FLOOR_PER_HOUR,
  spendSurge,
} from './surge';

export interface ErrorReport {
  /** api_status: ITNIO answered with a non-zero status; request_failure: no usable answer. */
  kind: 'api_status' | 'request_failure';
  /** The API status (e.g. "-1") or the failure reason (timeout, network, proxy, http_status, invalid_response). */
  code: string;
  meaning: string;
  hint: string;
  /** ITNIO's reason text or the client's description; never holds a secret. */
  detail: string;
  at: string;
}

/** A chart point: [Unix time in whole seconds, balance], as Prometheus's HTTP API writes samples. */
export type ChartPoint = [number, number];

/** Most chart points per account: plenty for a card-sized line, and keeps the JSON small. */
const CHART_POINTS = 60;

export interface AccountReport {
  name: string;
  state: AccountState;
  stateReason: string;
  /** Values of the last successful poll (see lastSuccessAt for their age), null before one. */
  balance: number | null;
  gift: number | null;
  credit: number | null;
  /** The account's own threshold, or the alert rules' default without one (see the source). */
  lowBalanceThreshold: number;
  lowBalanceThresholdSource: LowBalanceThreshold['source'];
  belowThreshold: boolean;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastSuccessAgeSeconds: number | null;
  /** The latest failed poll, kept after a recovery: current only when state is failing. */
  lastError: ErrorReport | null;
  /** Decreases of the balance over spendWindowSeconds, per day (top-ups ignored); null without two polls. */
  spendPerDay: number | null;
  /** balance / spendPerDay while spending, else null. */
  daysLeft: number | null;
  /** The window spendPerDay is computed over (the recording rule's 6h). */
  spendWindowSeconds: number;
  /** How much of that window the kept history covers; less means spendPerDay is an under-estimate. */
  spendDataSeconds: number;
  /** Spent in the last hour, i.e. per hour (top-ups ignored); null without two polls. */
  spendPerHour: number | null;
  /**
   * The normal hour: the spendSurgeRule quantile of the spend of each whole hour in the kept
   * history (not Prometheus' 7 days); null until normalSpendHours reaches normalSpendMinHours.
   */
  normalSpendPerHour: number | null;
  /** Whole hours of kept history behind normalSpendPerHour. */
  normalSpendHours: number;
  /** Whole hours needed before normalSpendPerHour is given. */
  normalSpendMinHours: number;
  /** max(factor × normalSpendPerHour, floor) per hour; null without a normal. */
  surgeThresholdPerHour: number | null;
  /** spendPerHour is above surgeThresholdPerHour: the last hour was a spend surge. */
  spendSurge: boolean;
  /** Set while the account backs off after consecutive -15 ("frequent query") answers. */
  backoff: BackoffReport | null;
  /** The kept history, oldest first, thinned to at most CHART_POINTS for the chart. */
  chart: ChartPoint[];
  /** ISO 4217 code of the amounts, from the accounts file; null when not configured. */
  currency: string | null;
  /** Rented numbers (--collector.numbers); null when they are not polled for this account. */
  numbers: NumbersReport | null;
}

interface BackoffReport {
  /** The account's widened poll interval. */
  seconds: number;
  /** Consecutive -15 answers behind it. */
  streak: number;
  /** Scheduled polls before this time are skipped. */
  nextPollAt: string;
}

export interface StatusReport {
  exporter: { name: string; version: string };
  generatedAt: string;
  pollDescription: string;
  maxAgeSeconds: number;
  spendWindowSeconds: number;
  /** The tunables of ItniotechSpendSurge that the page applies, and the history it needs. */
  spendSurgeRule: SpendSurgeRule;
  accounts: AccountReport[];
}

interface SpendSurgeRule {
  factor: number;
  floorPerHour: number;
  normalQuantile: number;
  normalMinHours: number;
}

export interface StatusReportInput {
  name: string;
  version: string;
  pollDescription: string;
  maxAgeMs: number;
  accounts: readonly AccountStatus[];
  /** Where the balance history comes from: the account store. */
  history: Pick<AccountStore, 'points' | 'spendPerDay'>;
  /** Now, on the steady clock the account times are on. */
  nowMs: number;
  /** Added to steady times to show them as wall clock times (default 0). */
  wallOffsetMs?: number;
  /** What the accounts file says of an account, and its numbers slot when numbers are polled for it. */
  accountExtras?: (name: string) => AccountExtras | undefined;
}

export interface AccountExtras {
  currency?: string;
  /** Present when the numbers poll runs for the account (its slot may still be undefined). */
  numbers?: { slot: NumbersSlot | undefined };
}

const iso = (ms: number | undefined, offsetMs = 0): string | null =>
  ms === undefined ? null : new Date(ms + offsetMs).toISOString();

export function describeError(error: LastError, wallOffsetMs = 0): ErrorReport {
  const isApiStatus = error.kind === 'api_error';
  return {
    kind: isApiStatus ? 'api_status' : 'request_failure',
    code: error.code,
    meaning: error.meaning,
    hint: isApiStatus ? statusHint(error.code) : failureReasonWords(error.code).hint,
    detail: error.detail,
    at: new Date(error.atMs + wallOffsetMs).toISOString(),
  };
}

function accountReport(status: AccountStatus, input: StatusReportInput): AccountReport {
  const offset = input.wallOffsetMs ?? 0;
  const verdict = accountState(status, input.nowMs, input.maxAgeMs);
  const points = input.history.points(status.name);
  const balance = status.values?.balance ?? null;
  const spend = input.history.spendPerDay(status.name) ?? null;
  const threshold = lowBalanceThreshold(status);
  const hourly = input.history.spendPerDay(status.name, HOUR_MS);
  const surge = spendSurge(points, hourly === undefined ? undefined : (hourly * HOUR_MS) / DAY_MS, input.nowMs);
  return {
    name: status.name,
    state: verdict.state,
    stateReason: verdict.reason,
    balance,
    gift: status.values?.gift ?? null,
    credit: status.values?.credit ?? null,
    lowBalanceThreshold: threshold.value,
    lowBalanceThresholdSource: threshold.source,
    belowThreshold: balance !== null && balance < threshold.value,
    lastAttemptAt: iso(status.lastAttemptMs, offset),
    lastSuccessAt: iso(status.lastSuccessMs, offset),
    lastSuccessAgeSeconds:
      status.lastSuccessMs === undefined ? null : Math.max(0, (input.nowMs - status.lastSuccessMs) / 1000),
    lastError: status.lastError ? describeError(status.lastError, offset) : null,
    spendPerDay: spend,
    daysLeft: spend === null || balance === null ? null : (daysLeft(balance, spend) ?? null),
    spendWindowSeconds: SPEND_WINDOW_MS / 1000,
    spendDataSeconds:
      points.length === 0
        ? 0
        : Math.min(SPEND_WINDOW_MS, Math.max(0, input.nowMs - (points[0] as HistoryPoint).atMs)) / 1000,
    spendPerHour: surge.lastHour,
    normalSpendPerHour: surge.normalHour,
    normalSpendHours: surge.normalHours,
    normalSpendMinHours: PAGE_NORMAL_MIN_HOURS,
    surgeThresholdPerHour: surge.threshold,
    spendSurge: surge.surging,
    backoff: status.backoff
      ? {
          seconds: status.backoff.seconds,
          streak: status.backoff.streak,
          nextPollAt: new Date(status.backoff.nextPollMs + offset).toISOString(),
        }
      : null,
    chart: chartPoints(points, CHART_POINTS).map((p) => [Math.round((p.atMs + offset) / 1000), p.balance]),
    ...extrasReport(input.accountExtras?.(status.name), input),
  };
}

function extrasReport(extras: AccountExtras | undefined, input: StatusReportInput) {
  const times = { nowMs: input.nowMs, wallNowMs: input.nowMs + (input.wallOffsetMs ?? 0), maxAgeMs: input.maxAgeMs };
  return {
    currency: extras?.currency ?? null,
    numbers: extras?.numbers ? numbersReport(extras.numbers.slot, times) : null,
  };
}

/**
 * Thins points (oldest first) to at most `maxPoints`: the oldest one, then the latest of each of
 * maxPoints - 1 equal time slices of the rest, as the history itself merges its buckets.
 */
export function chartPoints(points: readonly HistoryPoint[], maxPoints: number): HistoryPoint[] {
  if (points.length <= maxPoints) return [...points];
  const first = points[0] as HistoryPoint;
  const last = points[points.length - 1] as HistoryPoint;
  const slices = maxPoints - 1;
  const sliceMs = (last.atMs - first.atMs) / slices;
  const kept: HistoryPoint[] = [first];
  let keptSlice = -1;
  for (let i = 1; i < points.length; i++) {
    const point = points[i] as HistoryPoint;
    const slice = Math.min(slices - 1, Math.floor((point.atMs - first.atMs) / sliceMs));
    if (slice === keptSlice) kept[kept.length - 1] = point;
    else kept.push(point);
    keptSlice = slice;
  }
  return kept;
}

/** Everything the status page and GET /api/v1/status show; holds no API key or secret. */
export function buildStatusReport(input: StatusReportInput): StatusReport {
  return {
    exporter: { name: input.name, version: input.version },
    generatedAt: new Date(input.nowMs + (input.wallOffsetMs ?? 0)).toISOString(),
    pollDescription: input.pollDescription,
    maxAgeSeconds: input.maxAgeMs / 1000,
    spendWindowSeconds: SPEND_WINDOW_MS / 1000,
    spendSurgeRule: {
      factor: RULES_SURGE_FACTOR,
      floorPerHour: RULES_SURGE_FLOOR_PER_HOUR,
      normalQuantile: RULES_NORMAL_QUANTILE,
      normalMinHours: PAGE_NORMAL_MIN_HOURS,
    },
    accounts: input.accounts.map((status) => accountReport(status, input)),
  };
}
