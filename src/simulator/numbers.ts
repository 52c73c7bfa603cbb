import type { IncomingMessage, ServerResponse } from 'node:http';
import { BALANCE_FAULT_ANSWERS, slowDrip } from './balance-answers';
import { sendJson, sendStatus } from './respond';
import type { AccountState, Resources, SimulatedNumber } from './state';

export interface QueryPageBody {
  current: number;
  size: number;
  appId?: string;
}

const UTC8_MS = 8 * 3_600_000;
/** The answer's `size`, as in ITNIO's documented sample: not the size asked for. */
const ECHOED_SIZE = 20;

/** The request body as ITNIO documents it, or undefined (answered with -22 parameter exception). */
export function readQueryPageBody(text: string): QueryPageBody | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { current, size, params } = json as Record<string, unknown>;
  if (!Number.isInteger(current) || (current as number) < 1) return undefined;
  if (!Number.isInteger(size) || (size as number) < 1 || (size as number) > 100) return undefined;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  const appId = (params as Record<string, unknown>).appId;
  if (appId !== undefined && typeof appId !== 'string') return undefined;
  return { current: current as number, size: size as number, ...(appId !== undefined ? { appId } : {}) };
}

/** yyyy-MM-dd of the day `days` from now, on ITNIO's UTC+8 calendar. */
function dueDateIn(days: number, nowMs: number): string {
  return new Date(nowMs + UTC8_MS + days * 86_400_000).toISOString().slice(0, 10);
}

function record(n: SimulatedNumber, nowMs: number): Record<string, unknown> {
  return {
    number: n.number,
    appId: n.appId === undefined ? 'simApp01' : n.appId,
    ccode: n.ccode === undefined ? null : n.ccode,
    country: n.country === undefined ? null : n.country,
    dueDate: n.dueInDays !== undefined ? dueDateIn(n.dueInDays, nowMs) : (n.dueDate ?? null),
    state: n.state,
    inboundPrefix: null,
    type: n.type === undefined ? null : n.type,
    autoRenew: 0,
    remark: n.remark === undefined ? null : n.remark,
    voicemailFileId: null,
    voicemailMaxHangup: null,
  };
}

/** One page of the account's numbers, as ITNIO answers it. */
function queryPageAnswer(numbers: readonly SimulatedNumber[], body: QueryPageBody, nowMs: number): unknown {
  const listed = body.appId === undefined ? numbers : numbers.filter((n) => (n.appId ?? 'simApp01') === body.appId);
  const start = (body.current - 1) * body.size;
  const records = listed.slice(start, start + body.size).map((n) => record(n, nowMs));
  const pages = Math.ceil(listed.length / body.size);
  return {
    status: '0',
    reason: 'success',
    data: { total: listed.length, size: ECHOED_SIZE, current: body.current, pages, records },
  };
}

export interface NumbersAnswerContext {
  resources: Resources;
  redirectTo: string | undefined;
  now: () => number;
}

/** The answer to a correctly signed queryPage for `state`, faults included. */
export function answerQueryPage(
  res: ServerResponse,
  state: AccountState,
  body: QueryPageBody,
  context: NumbersAnswerContext,
): void {
  if (state.numbersFailStatus) return sendStatus(res, state.numbersFailStatus);
  const answer = queryPageAnswer(state.numbers ?? [], body, context.now()) as {
    status: string | number;
    data: { total: number };
  };
  switch (state.numbersFault) {
    case undefined:
      return sendJson(res, answer);
    case 'page_error':
      return body.current === 1 ? sendJson(res, answer) : sendStatus(res, '-18');
    case 'total_changes':
      // As if a number were rented between two pages: every page reports another total.
      answer.data.total += body.current;
      return sendJson(res, answer);
    case 'status_as_number':
      return sendJson(res, { ...answer, status: 0 });
    case 'missing_field':
      return sendJson(res, { status: '0', reason: 'success', data: { total: 3, current: 1, records: [] } });
    case 'not_a_number':
      return sendJson(res, {
        status: '0',
        reason: 'success',
        data: { total: 'N/A', pages: 1, current: 1, records: [] },
      });
    case 'slow_drip':
      return slowDrip(res, context.resources, JSON.stringify(answer));
    default:
      return BALANCE_FAULT_ANSWERS[state.numbersFault](res, context);
  }
}

/** Reads the whole request body (bounded), then calls back with it. */
export function readBody(req: IncomingMessage, done: (text: string | undefined) => void): void {
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    text += chunk;
    if (text.length > 64 * 1024) req.destroy();
  });
  req.on('end', () => done(text));
  req.on('error', () => done(undefined));
}
