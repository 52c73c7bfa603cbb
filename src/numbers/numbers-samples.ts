import { ALL_API_STATUSES, FAILURE_REASONS } from '../itnio/failures';
import { NUMBER_STATES } from '../itnio/numbers-response';
import { numbersFresh, type NumbersSlot } from './numbers-state';

/**
 * The numbers series, computed from the accounts as the store holds them (kube-state-metrics
 * style: object in, samples out). Pure: the metrics module wraps each in a store gauge.
 */

/** The name of the numbers poll: its state slot and its scheduler. */
export const NUMBERS_POLL = 'numbers';

/** Days before the due moment that ItniotechNumberExpiring, the card's red and --check's DUE SOON start. */
export const NUMBER_DUE_SOON_DAYS = 7;

/** Due series per account; past this, numbers count in itniotech_numbers only. */
export const MAX_NUMBER_SERIES = 1000;

/** What these functions read of one account in the store (src/store's AccountView, structurally). */
export interface NumbersAccountView {
  readonly account: { readonly name: string; readonly numbers?: boolean };
  readonly slots: ReadonlyMap<string, unknown>;
}

type Labels = Record<string, string>;
export type NumbersSample = readonly [labels: Labels, value: number];

export interface NumbersSampleOptions {
  /** --collector.numbers. */
  enabled: boolean;
  /** --poll.max-age: the last good numbers are exported this long after their poll. */
  maxAgeMs: number;
}

const numbersSlot = (view: NumbersAccountView): NumbersSlot | undefined =>
  view.slots.get(NUMBERS_POLL) as NumbersSlot | undefined;

/** Whether the numbers poll runs for this account: the collector is on and the account did not opt out. */
export const numbersPolled = (enabled: boolean, view: { account: { numbers?: boolean } }): boolean =>
  enabled && view.account.numbers !== false;

function fresh(accounts: readonly NumbersAccountView[], now: number, options: NumbersSampleOptions) {
  return accounts.flatMap((view) => {
    const slot = numbersSlot(view);
    if (!numbersPolled(options.enabled, view) || !slot || !numbersFresh(slot, now, options.maxAgeMs)) return [];
    return [{ name: view.account.name, slot }];
  });
}

/** itniotech_number_due_timestamp_seconds: each number in use with a due moment, soonest first, at most MAX_NUMBER_SERIES. */
export function dueSamples(
  accounts: readonly NumbersAccountView[],
  now: number,
  options: NumbersSampleOptions,
): NumbersSample[] {
  return fresh(accounts, now, options).flatMap(({ name, slot }) =>
    (slot.numbers ?? [])
      .filter((n) => n.state === 'in_use' && n.dueAt !== undefined)
      .slice(0, MAX_NUMBER_SERIES)
      .map((n): NumbersSample => [
        { account: name, number: n.number, country: n.country, type: n.type },
        n.dueAt as number,
      ]),
  );
}

/** itniotech_numbers: all four states from the first success. */
export function stateSamples(
  accounts: readonly NumbersAccountView[],
  now: number,
  options: NumbersSampleOptions,
): NumbersSample[] {
  return fresh(accounts, now, options).flatMap(({ name, slot }) =>
    NUMBER_STATES.map((state): NumbersSample => [{ account: name, state }, slot.counts?.[state] ?? 0]),
  );
}

function polledSlots(accounts: readonly NumbersAccountView[], options: NumbersSampleOptions) {
  return accounts.flatMap((view) =>
    numbersPolled(options.enabled, view) ? [{ name: view.account.name, slot: numbersSlot(view) }] : [],
  );
}

/** itniotech_numbers_up: absent before the first numbers poll (the alert rules rely on it). */
export function upSamples(accounts: readonly NumbersAccountView[], options: NumbersSampleOptions): NumbersSample[] {
  return polledSlots(accounts, options).flatMap(({ name, slot }) =>
    slot && (slot.lastOk || slot.lastError) ? [[{ account: name }, slot.lastOk ? 1 : 0] as const] : [],
  );
}

export function lastSuccessSamples(
  accounts: readonly NumbersAccountView[],
  options: NumbersSampleOptions,
): NumbersSample[] {
  return polledSlots(accounts, options).flatMap(({ name, slot }) =>
    slot?.lastSuccessAt !== undefined ? [[{ account: name }, slot.lastSuccessAt / 1000] as const] : [],
  );
}

/** itniotech_numbers_api_errors_total: every documented status at 0 from start-up, like getBalance's. */
export function apiErrorSamples(
  accounts: readonly NumbersAccountView[],
  options: NumbersSampleOptions,
): NumbersSample[] {
  return polledSlots(accounts, options).flatMap(({ name, slot }) => {
    const seen = slot?.apiErrors ?? new Map<string, number>();
    const statuses = new Set<string>([...ALL_API_STATUSES, ...seen.keys()]);
    return [...statuses].map((status): NumbersSample => [{ account: name, status }, seen.get(status) ?? 0]);
  });
}

export function failureSamples(
  accounts: readonly NumbersAccountView[],
  options: NumbersSampleOptions,
): NumbersSample[] {
  return polledSlots(accounts, options).flatMap(({ name, slot }) =>
    FAILURE_REASONS.map((reason): NumbersSample => [{ account: name, reason }, slot?.failures.get(reason) ?? 0]),
  );
}

export function requestSamples(
  accounts: readonly NumbersAccountView[],
  options: NumbersSampleOptions,
): NumbersSample[] {
  return polledSlots(accounts, options).map(({ name, slot }): NumbersSample => [
    { account: name },
    slot?.requests ?? 0,
  ]);
}
