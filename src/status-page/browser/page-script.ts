import { formatClock, renderAccountCard, renderSummary } from '../cards';
import type { StatusReport } from '../report';

/*
 * The status page's script: re-renders the cards from the JSON API every few seconds, with the
 * very functions the server rendered them with (../cards.ts). `npm run build` bundles it into
 * dist/status-page/browser/page-script.js; the page carries that file inline, admitted by its hash.
 */

const DEFAULT_REFRESH_MS = 5000;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the status page has no #${id}`);
  return found as T;
}

const body = document.body;
const accounts = element('accounts');
const summary = element('summary');
const updated = element<HTMLTimeElement>('updated');
const connection = element('connection');
const refreshMs = Number(body.dataset.refreshMs) || DEFAULT_REFRESH_MS;
let busy = false;

function show(report: StatusReport): void {
  accounts.innerHTML = report.accounts.map(renderAccountCard).join('');
  summary.innerHTML = renderSummary(report);
  updated.textContent = formatClock(report.generatedAt);
  updated.dateTime = report.generatedAt;
  connection.hidden = true;
  body.dataset.updates = String(Number(body.dataset.updates || 0) + 1);
}

function showFailure(error: unknown): void {
  // Not instanceof Error: an error from another realm (a test's fetch) is one too.
  const why = typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  connection.textContent = `Live update failed (${why}); the data below may be old.`;
  connection.hidden = false;
}

async function refresh(): Promise<void> {
  if (busy || document.hidden) return;
  busy = true;
  try {
    const response = await fetch(body.dataset.api ?? '', {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    show((await response.json()) as StatusReport);
  } catch (error) {
    showFailure(error);
  } finally {
    busy = false;
  }
}

setInterval(refresh, refreshMs);
document.addEventListener('visibilitychange', refresh);
element('live').textContent = `Updates live every ${Math.round(refreshMs / 1000)} s.`;
