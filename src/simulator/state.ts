import type { Socket } from 'node:net';

/** Ways the simulator can misbehave on purpose, as a real upstream sometimes does. */
export const FAULTS = [
  'http500',
  'http429',
  'html',
  'truncated',
  'empty',
  'missing_field',
  'not_a_number',
  'huge',
  'hang',
  'slow_drip',
  'reset',
  'redirect',
] as const;
export type Fault = (typeof FAULTS)[number];

/** number/queryPage's own ways to misbehave, besides the getBalance faults (which it answers alike). */
export const NUMBERS_FAULTS = ['page_error', 'total_changes', 'status_as_number'] as const;
export type NumbersFault = Fault | (typeof NUMBERS_FAULTS)[number];

/** A rented number as ITNIO lists it; `dueInDays` sets dueDate from the simulator's clock (UTC+8). */
export interface SimulatedNumber {
  number: string;
  ccode?: string | null;
  country?: string | null;
  type?: string | null;
  /** 3 in use, 4 expired, 5 disabled; anything else is served as given. */
  state: number | null;
  dueDate?: string | null;
  dueInDays?: number;
  appId?: string | null;
  remark?: string | null;
}

export interface SimulatedAccount {
  apiKey: string;
  apiSecret: string;
  balance: number;
  gift: number;
  credit: number;
  /** Currency per hour the balance falls by, as if the account were sending SMS. */
  spendPerHour: number;
  /** Answer every request with this non-zero status instead of the balance. */
  failStatus?: string;
  fault?: Fault;
  /** The rented numbers number/queryPage lists. */
  numbers?: SimulatedNumber[];
  /** Answer every queryPage with this non-zero status. */
  numbersFailStatus?: string;
  numbersFault?: NumbersFault;
}

export interface AccountPatch {
  balance?: number;
  gift?: number;
  credit?: number;
  spendPerHour?: number;
  failStatus?: string | null;
  fault?: Fault | null;
  /** A rotated secret: requests signed with the old one are refused (-1) from now on. */
  apiSecret?: string;
  numbers?: SimulatedNumber[];
  numbersFailStatus?: string | null;
  numbersFault?: NumbersFault | null;
}

export interface AccountState extends SimulatedAccount {
  /** Balance at `since`; the current balance is derived from the spend rate. */
  since: number;
}

export const REASONS: Record<string, string> = {
  '-1': 'authentication error',
  '-2': 'IP access restricted',
  '-13': 'user locked',
  '-15': 'query too frequently',
  '-16': 'timestamp expires',
  '-18': 'port program exception',
  '-22': 'parameter exception',
};

/** One API request as the simulator received it, for tests to read. */
export interface LoggedRequest {
  /** Simulator clock, Unix ms. */
  at: number;
  method: string;
  path: string;
  apiKey?: string;
  /** Whether Api-Key, Timestamp and Sign were valid for the account. */
  signed: boolean;
  contentType?: string;
  /** The JSON body, for POSTs. */
  body?: unknown;
}

/** Timers and sockets the simulator owns, all released by close(). */
export class Resources {
  readonly sockets = new Set<Socket>();
  readonly timers = new Set<NodeJS.Timeout>();

  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  release(): void {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
  }
}

/** The simulated accounts, their request counts and their balances on the simulator's clock. */
export class AccountBook {
  readonly accounts = new Map<string, AccountState>();
  readonly counts = new Map<string, number>();
  total = 0;
  /** queryPage requests, per API key. */
  readonly numbersCounts = new Map<string, number>();
  readonly log: LoggedRequest[] = [];

  constructor(
    accounts: readonly SimulatedAccount[],
    readonly now: () => number,
  ) {
    for (const account of accounts) this.accounts.set(account.apiKey, { ...account, since: now() });
  }

  currentBalance(state: AccountState): number {
    const spent = (state.spendPerHour * (this.now() - state.since)) / 3_600_000;
    // A prepaid account stops sending once balance and credit are used up.
    return Math.max(state.balance - spent, Math.min(state.balance, -state.credit));
  }

  countNumbers(key: unknown): void {
    if (typeof key === 'string') this.numbersCounts.set(key, (this.numbersCounts.get(key) ?? 0) + 1);
  }

  /** Kept bounded: a soak test must not grow the simulator without limit. */
  record(entry: LoggedRequest): void {
    this.log.push(entry);
    if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
  }

  count(key: unknown): void {
    this.total++;
    if (typeof key === 'string') this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get(apiKey: string): AccountState {
    const state = this.accounts.get(apiKey);
    if (!state) throw new Error('simulator has no account with that key');
    return state;
  }

  update(apiKey: string, patch: AccountPatch): void {
    const state = this.accounts.get(apiKey);
    if (!state) throw new Error(`simulator has no account with that key`);
    state.balance = patch.balance ?? this.currentBalance(state);
    state.since = this.now();
    if (patch.gift !== undefined) state.gift = patch.gift;
    if (patch.credit !== undefined) state.credit = patch.credit;
    if (patch.spendPerHour !== undefined) state.spendPerHour = patch.spendPerHour;
    if (patch.apiSecret !== undefined) state.apiSecret = patch.apiSecret;
    if (patch.numbers !== undefined) state.numbers = patch.numbers;
    for (const key of CLEARABLE) setOrClear(state, key, patch[key]);
  }
}

/** The failure settings a patch sets with a value and clears with null. */
const CLEARABLE = ['failStatus', 'fault', 'numbersFailStatus', 'numbersFault'] as const;

/** Applies one clearable setting of a patch: undefined leaves it, null clears it, a value sets it. */
function setOrClear<K extends (typeof CLEARABLE)[number]>(
  state: AccountState,
  key: K,
  value: AccountState[K] | null | undefined,
): void {
  if (value === undefined) return;
  if (value === null) delete state[key];
  else state[key] = value;
}
