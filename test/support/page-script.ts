import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

/** The status page script as `npm run build` bundles it (jest's global setup builds it too). */
export const PAGE_SCRIPT = join(__dirname, '..', '..', 'dist', 'status-page', 'browser', 'page-script.js');

interface FakeElement {
  innerHTML: string;
  textContent: string;
  hidden: boolean;
  dateTime: string;
}

export interface PageScriptRun {
  element(id: string): FakeElement;
  dataset: Record<string, string>;
  /** The URLs the script fetched. */
  fetched: string[];
}

/**
 * Runs the built page script in a bare context (a few fake elements, no browser), lets it fetch
 * `report` once from the JSON API and returns what it wrote.
 */
export async function runPageScript(report: unknown): Promise<PageScriptRun> {
  if (!existsSync(PAGE_SCRIPT)) throw new Error(`no ${PAGE_SCRIPT}: run npm run build`);
  const elements = new Map<string, FakeElement>();
  const element = (id: string): FakeElement => {
    if (!elements.has(id)) elements.set(id, { innerHTML: '', textContent: '', hidden: false, dateTime: '' });
    return elements.get(id) as FakeElement;
  };
  const dataset: Record<string, string> = { api: '/api/v1/status', refreshMs: '3000' };
  const fetched: string[] = [];
  let tick: (() => Promise<void>) | undefined;
  runInNewContext(readFileSync(PAGE_SCRIPT, 'utf8'), {
    document: { body: { dataset }, hidden: false, getElementById: element, addEventListener: () => undefined },
    fetch: async (url: string) => {
      fetched.push(url);
      return { ok: true, status: 200, json: async () => JSON.parse(JSON.stringify(report)) as unknown };
    },
    setInterval: (fn: () => Promise<void>) => void (tick = fn),
  });
  if (!tick) throw new Error('the page script set no refresh interval');
  await tick();
  return { element, dataset, fetched };
}
