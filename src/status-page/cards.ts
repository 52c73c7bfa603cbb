import type { AccountReport, ChartPoint, StatusReport } from './report';

/*
 * The account cards of the status page. The server renders them into the page, and the page's
 * script (browser/page-script.ts, bundled with this module at build time) renders them again
 * from GET /api/v1/status: both run this one module, so they cannot drift apart.
 */

export function escapeText(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

// One formatter for every amount: toLocaleString builds one per call, most of a 1000-card page's render time.
const AMOUNT_FORMAT = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function formatAmount(value: number | null): string {
  return value === null ? '—' : AMOUNT_FORMAT.format(value);
}

/** Seconds for people, "1 h 5 min" (not src/config/duration.ts, which writes and reads flag values like "1h5m"). */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  const [big, bigUnit, small, smallUnit] =
    s < 86400
      ? [Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'min']
      : [Math.floor(s / 86400), 'd', Math.floor((s % 86400) / 3600), 'h'];
  return small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
}

function formatDaysLeft(days: number): string {
  if (days < 1) return `${(days * 24).toFixed(1)} hours`;
  if (days < 10) return `${days.toFixed(1)} days`;
  if (days < 1000) return `${Math.round(days)} days`;
  return 'over 1,000 days';
}

interface ChartGeometry {
  /** SVG points of the balance line, in a 0..width × 0..height box. */
  line: string;
  /** The line closed down to the bottom edge, for the area under it. */
  area: string;
  thresholdY: number | null;
  min: number;
  max: number;
  spanSeconds: number;
}

/** Scales the chart points ([seconds, balance]) into the chart box; y grows downwards as in SVG. */
function chartGeometry(
  points: readonly ChartPoint[],
  threshold: number | null,
  width: number,
  height: number,
): ChartGeometry | null {
  if (points.length === 0) return null;
  const times = points.map((p) => p[0]);
  let low = Math.min(...points.map((p) => p[1]));
  let high = Math.max(...points.map((p) => p[1]));
  const min = low;
  const max = high;
  if (threshold !== null) {
    low = Math.min(low, threshold);
    high = Math.max(high, threshold);
  }
  const pad = high > low ? (high - low) * 0.08 : Math.max(Math.abs(high) * 0.05, 1);
  low -= pad;
  high += pad;
  const first = times[0] as number;
  const span = (times[times.length - 1] as number) - first;
  const x = (t: number): number => (span > 0 ? ((t - first) / span) * width : width);
  const y = (v: number): number => height - ((v - low) / (high - low)) * height;
  const round = (n: number): string => String(Math.round(n * 10) / 10);
  // A single point is drawn as a short flat line at the right edge.
  const coords =
    points.length === 1
      ? [
          [width - 4, y(points[0]?.[1] as number)],
          [width, y(points[0]?.[1] as number)],
        ]
      : points.map((p, i) => [x(times[i] as number), y(p[1])]);
  const line = coords.map(([cx, cy]) => `${round(cx as number)},${round(cy as number)}`).join(' ');
  const area = `${line} ${round((coords[coords.length - 1] as number[])[0] as number)},${height} ${round((coords[0] as number[])[0] as number)},${height}`;
  return {
    line,
    area,
    thresholdY: threshold === null ? null : Number(round(y(threshold))),
    min,
    max,
    spanSeconds: span,
  };
}

function renderChart(account: AccountReport): string {
  const width = 300;
  const height = 64;
  const geometry = chartGeometry(account.chart, account.lowBalanceThreshold, width, height);
  if (!geometry) return '<p class="chart-empty">No balance history yet.</p>';
  const span = geometry.spanSeconds > 0 ? `the last ${humanDuration(geometry.spanSeconds)}` : 'one poll';
  const label = `Balance over ${span}: lowest ${formatAmount(geometry.min)}, highest ${formatAmount(geometry.max)}`;
  const threshold =
    geometry.thresholdY === null
      ? ''
      : `<line class="threshold" x1="0" x2="${width}" y1="${geometry.thresholdY}" y2="${geometry.thresholdY}" vector-effect="non-scaling-stroke"/>`;
  return (
    `<figure class="chart"><svg viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="${escapeText(label)}">` +
    `<polygon class="area" points="${geometry.area}"/>${threshold}` +
    `<polyline class="line" points="${geometry.line}" vector-effect="non-scaling-stroke"/></svg>` +
    `<figcaption>Balance over ${escapeText(span)} · low ${formatAmount(geometry.min)} · high ${formatAmount(geometry.max)}` +
    ' · <span class="threshold-key">dashed: threshold</span></figcaption></figure>'
  );
}

function stateLabel(state: string): { icon: string; text: string } {
  switch (state) {
    case 'ok':
      return { icon: '✓', text: 'OK' };
    case 'low':
      return { icon: '▼', text: 'Low balance' };
    case 'failing':
      return { icon: '✕', text: 'Failing' };
    default:
      return { icon: '⏸', text: 'Stale' };
  }
}

function renderValue(field: string, title: string, amount: number | null, extraClass = '', unit = ''): string {
  return `<div class="value${extraClass}"><dt>${title}</dt><dd data-field="${field}">${formatAmount(amount)}${amount === null ? '' : unit}</dd></div>`;
}

function renderValues(account: AccountReport): string {
  const thresholdTitle = account.lowBalanceThresholdSource === 'account' ? 'Low below' : 'Low below (rules’ default)';
  // The accounts file's currency (issue 18); getBalance does not say which.
  const unit = account.currency
    ? ` <abbr class="currency" data-field="currency">${escapeText(account.currency)}</abbr>`
    : '';
  return (
    `<dl class="values">${renderValue('balance', 'Balance', account.balance, ' main', unit)}` +
    `${renderValue('gift', 'Gift', account.gift, '', unit)}${renderValue('credit', 'Credit', account.credit, '', unit)}` +
    `${renderValue('threshold', thresholdTitle, account.lowBalanceThreshold, '', unit)}</dl>`
  );
}

function describeLastSuccess(account: AccountReport): string {
  if (account.lastSuccessAt === null || account.lastSuccessAgeSeconds === null) return 'never';
  const at = escapeText(account.lastSuccessAt);
  return `<time datetime="${at}" title="${at}">${humanDuration(account.lastSuccessAgeSeconds)} ago</time>`;
}

/** How long the money lasts at the recent spend, or why that is not known. */
function describeRunway(account: AccountReport): string {
  if (account.daysLeft === null || account.spendPerDay === null) {
    return account.spendPerDay === 0 ? 'no spending seen recently' : 'not enough polls yet to estimate';
  }
  const runway = `${account.daysLeft < 1000 ? '≈ ' : ''}${formatDaysLeft(account.daysLeft)} left, spending ${formatAmount(account.spendPerDay)}/day`;
  // The rate divides by the whole window, as the recording rule does: say when data is short.
  if (account.spendDataSeconds >= account.spendWindowSeconds) return runway;
  return `${runway} (${humanDuration(account.spendWindowSeconds)} rate from ${humanDuration(account.spendDataSeconds)} of data)`;
}

/** The last hour's spend beside the normal hour's. */
function describeHourlySpend(account: AccountReport): string {
  if (account.spendPerHour === null) return 'not enough polls yet';
  const normal =
    account.normalSpendPerHour === null
      ? `not known yet (${account.normalSpendHours} of ${account.normalSpendMinHours} h of history)`
      : formatAmount(account.normalSpendPerHour);
  return `${formatAmount(account.spendPerHour)} · normal hour: ${normal}`;
}

function renderSurgeNote(account: AccountReport): string {
  if (!account.spendSurge || account.spendPerHour === null || account.surgeThresholdPerHour === null) return '';
  const normal = account.normalSpendPerHour ?? 0;
  const times = normal > 0 ? `${(account.spendPerHour / normal).toFixed(1)} times` : 'far more than';
  return (
    '<p class="surge" data-field="surge"><strong><span aria-hidden="true">⚡</span> Spend surge:</strong> ' +
    `the last hour cost ${times} the normal hour (above ${formatAmount(account.surgeThresholdPerHour)}). ` +
    'Check for SMS pumping, a leaked API key or a sending loop.</p>'
  );
}

function renderBackoffNote(account: AccountReport): string {
  const b = account.backoff;
  if (!b) return '';
  return (
    '<p class="backoff" data-field="backoff"><strong><span aria-hidden="true">⏳</span> Backing off:</strong> ' +
    `ITNIO answered “frequent query” (status -15) ${b.streak} time${b.streak === 1 ? '' : 's'} in a row, ` +
    `so this account is polled every ${humanDuration(b.seconds)} until it answers otherwise; next poll from ` +
    `<time datetime="${escapeText(b.nextPollAt)}">${escapeText(formatClock(b.nextPollAt))}</time>.</p>`
  );
}

/** The last error: current (with what to do) while the account is failing, else kept as history. */
function renderLastError(account: AccountReport): string {
  const e = account.lastError;
  if (!e) return '';
  const what = e.kind === 'api_status' ? `Status ${escapeText(e.code)}` : escapeText(e.code.replace('_', ' '));
  const current = account.state === 'failing';
  const hint = current
    ? `<p><strong>What to do:</strong> <span data-field="error-hint">${escapeText(e.hint)}</span></p>`
    : '';
  const detail = e.detail ? `${e.kind === 'api_status' ? 'ITNIO said' : 'Detail'}: “${escapeText(e.detail)}” · ` : '';
  return (
    `<div class="error${current ? '' : ' resolved'}" data-field="error">` +
    `<p><strong>${current ? 'Error' : 'Previous error'}: ${what}</strong> — <span data-field="error-meaning">${escapeText(e.meaning)}</span></p>` +
    hint +
    `<p class="detail">${detail}` +
    `<time datetime="${escapeText(e.at)}">${escapeText(e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time></p></div>`
  );
}

function renderCardHeader(account: AccountReport, name: string): string {
  const label = stateLabel(account.state);
  return (
    `<header><h2 id="account-${name}-name">${name}</h2>` +
    `<p class="badge" data-field="state"><span aria-hidden="true">${label.icon}</span> ${label.text}</p></header>`
  );
}

/** The card's rented-numbers line (--collector.numbers): numbers in use and the next due date, red within 7 days. */
export function renderNumbers(account: AccountReport): string {
  const n = account.numbers;
  if (!n) return '';
  let text: string;
  if (n.counts === null) {
    text = n.up === false ? 'numbers poll failing, no recent list' : 'not polled yet';
  } else {
    text = `${n.counts.in_use} in use`;
    if (n.nextDue) {
      const days = n.nextDue.daysLeft;
      const when = days < 0 ? 'overdue' : days < 1 ? 'in under a day' : `in ${Math.floor(days)} d`;
      text +=
        ` · next due <time datetime="${escapeText(n.nextDue.dueAt)}">${escapeText(n.nextDue.dueDate)}</time>` +
        ` (${when}: ${escapeText(n.nextDue.number)})`;
    }
    if (n.up === false) text += ' · last numbers poll failed';
  }
  const error =
    n.up === false && n.lastError ? ` title="${escapeText(`${n.lastError.code}: ${n.lastError.meaning}`)}"` : '';
  return (
    `<p class="numbers${n.dueSoon ? ' due-soon' : ''}" data-field="numbers"${error}>` +
    `<strong>${n.dueSoon ? '<span aria-hidden="true">⏰</span> ' : ''}Numbers:</strong> ${text}</p>`
  );
}

export function renderAccountCard(account: AccountReport): string {
  const name = escapeText(account.name);
  const state = escapeText(account.state);
  return (
    `<article class="card state-${state}" id="account-${name}" data-account="${name}" ` +
    `data-state="${state}"${account.spendSurge ? ' data-surge="true"' : ''} ` +
    `aria-labelledby="account-${name}-name">` +
    renderCardHeader(account, name) +
    `<p class="reason" data-field="state-reason">${escapeText(account.stateReason)}</p>` +
    renderSurgeNote(account) +
    renderBackoffNote(account) +
    renderValues(account) +
    `<p class="meta"><span>Last success: <span data-field="last-success">${describeLastSuccess(account)}</span></span>` +
    `<span>Money lasts: <span data-field="days-left">${describeRunway(account)}</span></span>` +
    `<span>Spent in the last hour: <span data-field="spend-hour">${describeHourlySpend(account)}</span></span></p>` +
    renderNumbers(account) +
    renderChart(account) +
    renderLastError(account) +
    '</article>'
  );
}

/** "14:03:05 UTC" from an ISO time; the same on every browser, whatever its locale. */
export function formatClock(iso: string): string {
  return `${iso.slice(11, 19)} UTC`;
}

export function renderSummary(report: StatusReport): string {
  const count = (state: string): number => report.accounts.filter((a) => a.state === state).length;
  const surging = report.accounts.filter((a) => a.spendSurge).length;
  // A surging account needs attention whatever its state.
  const problems = report.accounts.filter((a) => a.state !== 'ok' || a.spendSurge).length;
  const parts = ['failing', 'stale', 'low', 'ok']
    .filter((s) => count(s) > 0)
    .map((s) => `${count(s)} ${stateLabel(s).text.toLowerCase()}`);
  if (surging > 0) parts.unshift(`${surging} with a spend surge`);
  const head =
    problems === 0
      ? `All ${report.accounts.length} account(s) OK`
      : `${problems} of ${report.accounts.length} account(s) need attention`;
  return `<strong>${head}</strong>${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
