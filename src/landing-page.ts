import type { AccountStatus } from './account-status';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function formatTime(ms: number | undefined): string {
  return ms === undefined ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function resultCell(status: AccountStatus): string {
  if (status.lastAttemptMs === undefined) return 'waiting for first poll';
  if (status.lastOk) return 'ok';
  const error = status.lastError;
  return error ? `failed: ${error.code} — ${error.meaning}` : 'failed';
}

function valueCell(value: number | undefined): string {
  return value === undefined ? '—' : String(value);
}

export interface LandingPageInput {
  name: string;
  version: string;
  telemetryPath: string;
  pollDescription: string;
  accounts: readonly AccountStatus[];
}

/** A small static page: what this is, where the metrics are, and how each account's last poll went. */
export function renderLandingPage(input: LandingPageInput): string {
  const rows = input.accounts
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.name)}</td><td>${escapeHtml(resultCell(a))}</td>` +
        `<td>${valueCell(a.values?.balance)}</td><td>${valueCell(a.values?.gift)}</td><td>${valueCell(a.values?.credit)}</td>` +
        `<td>${formatTime(a.lastAttemptMs)}</td><td>${formatTime(a.lastSuccessMs)}</td></tr>`,
    )
    .join('\n');
  const path = escapeHtml(input.telemetryPath);
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.name)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}th,td{border:1px solid #8884;padding:.3em .6em;text-align:left}</style>
</head>
<body>
<h1>${escapeHtml(input.name)}</h1>
<p>Version ${escapeHtml(input.version)}. Balances are polled ${escapeHtml(input.pollDescription)}; scrapes read the cached values.</p>
<p><a href="${path}">Metrics</a> · <a href="/healthz">Health</a> · <a href="/readyz">Readiness</a></p>
<table>
<caption>Accounts</caption>
<thead><tr><th scope="col">Account</th><th scope="col">Last poll</th><th scope="col">Balance</th><th scope="col">Gift</th><th scope="col">Credit</th><th scope="col">Last attempt</th><th scope="col">Last success</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
