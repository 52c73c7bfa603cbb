import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES_DEFAULT_LOW_BALANCE_THRESHOLD } from './verdict';
import { PAGE_NORMAL_MIN_HOURS, RULES_NORMAL_QUANTILE, RULES_SURGE_FACTOR, RULES_SURGE_FLOOR_PER_HOUR } from './surge';
import { escapeText, formatClock, humanDuration, renderAccountCard, renderSummary } from './cards';
import type { StatusReport } from './report';

export interface LandingPageInput {
  report: StatusReport;
  telemetryPath: string;
  /** Where the page's script fetches fresh data from. */
  statusApiPath: string;
  refreshMs: number;
}

/** The page script (./browser/page-script.ts) as `npm run build` bundles it, beside this module. */
const PAGE_SCRIPT_FILE = join('browser', 'page-script.js');
// Beside the built module in dist/; from the sources (ts-jest), in the repository's dist/.
const PAGE_SCRIPT_PLACES = [
  join(__dirname, PAGE_SCRIPT_FILE),
  join(__dirname, '..', '..', 'dist', 'status-page', PAGE_SCRIPT_FILE),
];

let pageScript: string | undefined;

/** The bundled page script, read once; the page carries it inline. */
function readPageScript(): string {
  if (pageScript !== undefined) return pageScript;
  const file = PAGE_SCRIPT_PLACES.find((place) => existsSync(place));
  if (!file) throw new Error(`the status page script is not built: no ${PAGE_SCRIPT_PLACES[0]} (npm run build)`);
  const text = readFileSync(file, 'utf8');
  if (/<\/script/i.test(text)) throw new Error(`${file} holds "</script", which would end the page's script early`);
  pageScript = text;
  return text;
}

const PAGE_STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#1b1f24;--muted:#57606a;--line:#d0d7de;
--ok:#1a7f37;--ok-bg:#dafbe1;--low:#9a6700;--low-bg:#fff8c5;--failing:#cf222e;--failing-bg:#ffebe9;--stale:#6e7781;--stale-bg:#eaeef2;
--chart:#0969da;--chart-fill:#0969da22}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;--line:#30363d;
--ok:#3fb950;--ok-bg:#12261e;--low:#d29922;--low-bg:#272115;--failing:#f85149;--failing-bg:#2d1517;--stale:#9198a1;--stale-bg:#21262d;
--chart:#4493f8;--chart-fill:#4493f833}}
*{box-sizing:border-box}
body{margin:0;padding:1rem;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;background:var(--bg);color:var(--text)}
main{max-width:72rem;margin:0 auto}
a{color:var(--chart)}
h1{font-size:1.4rem;margin:0 0 .25rem}
.top{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem 1rem;align-items:baseline;margin-bottom:.75rem}
.top nav a{margin-right:.75rem}
.sub,.meta,figcaption,.reason,.detail,#live{color:var(--muted);font-size:.875rem}
.sub{margin:0}
#summary{margin:.5rem 0 1rem;font-size:1.05rem}
#connection{background:var(--failing-bg);color:var(--failing);padding:.5rem .75rem;border-radius:.4rem}
#accounts{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:1rem}
.card{background:var(--card);border:1px solid var(--line);border-left:.4rem solid var(--stale);border-radius:.5rem;padding:.9rem 1rem;min-width:0}
.card header{display:flex;justify-content:space-between;align-items:center;gap:.5rem}
.card h2{font-size:1.15rem;margin:0;overflow-wrap:anywhere}
.badge{margin:0;padding:.15rem .6rem;border-radius:1rem;font-weight:600;font-size:.875rem;white-space:nowrap;background:var(--stale-bg);color:var(--stale)}
.state-ok{border-left-color:var(--ok)}.state-ok .badge{background:var(--ok-bg);color:var(--ok)}
.state-low{border-left-color:var(--low)}.state-low .badge{background:var(--low-bg);color:var(--low)}
.state-failing{border-left-color:var(--failing)}.state-failing .badge{background:var(--failing-bg);color:var(--failing)}
.reason{margin:.2rem 0 .6rem}
.values{display:grid;grid-template-columns:repeat(3,auto);gap:.25rem 1rem;margin:0 0 .6rem}
.value dt{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.value dd{margin:0;font-variant-numeric:tabular-nums;font-weight:600}
.value.main{grid-column:1/-1}
.value.main dd{font-size:1.9rem;line-height:1.2}
.meta{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;margin:0 0 .5rem}
.chart{margin:0}
.chart svg{display:block;width:100%;height:4rem;border-bottom:1px solid var(--line)}
.chart .line{fill:none;stroke:var(--chart);stroke-width:2;stroke-linejoin:round}
.chart .area{fill:var(--chart-fill);stroke:none}
.chart .threshold{stroke:var(--low);stroke-width:1.5;stroke-dasharray:5 4}
.chart-empty{color:var(--muted);font-size:.875rem}
.card[data-surge]{border-left-color:var(--failing)}
.surge{margin:0 0 .6rem;padding:.45rem .75rem;border-radius:.4rem;background:var(--failing-bg);color:var(--failing)}
.backoff{margin:0 0 .6rem;padding:.45rem .75rem;border-radius:.4rem;background:var(--low-bg);color:var(--low)}
.numbers{margin:0 0 .5rem}
.numbers.due-soon{padding:.45rem .75rem;border-radius:.4rem;background:var(--failing-bg);color:var(--failing)}
.currency{font-size:.6em;text-decoration:none;color:var(--muted)}
.error{margin-top:.7rem;padding:.5rem .75rem;border-radius:.4rem;background:var(--failing-bg)}
.error p{margin:.15rem 0}
.error.resolved{background:var(--stale-bg)}
.detail{overflow-wrap:anywhere}
footer{margin-top:1.5rem}
@media (max-width:30rem){body{padding:.6rem}#accounts{grid-template-columns:1fr}.value.main dd{font-size:1.6rem}}
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Only the page's own inline style and script run (by hash, so the page can be cached and
 * compressed once), the script may fetch from this origin only, and the page cannot be framed.
 */
let csp: string | undefined;

export function statusPageCsp(): string {
  csp ??= [
    "default-src 'none'",
    `script-src ${sha256(readPageScript())}`,
    `style-src ${sha256(PAGE_STYLE)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return csp;
}

/** How the page's spend-surge mark differs from the alert: both the same rule, different data. */
const SURGE_NOTE =
  `<strong>Spend surge</strong>: the last hour cost more than ${RULES_SURGE_FACTOR} times the normal hour and more ` +
  `than ${RULES_SURGE_FLOOR_PER_HOUR}. The normal hour here is the ${RULES_NORMAL_QUANTILE * 100}th percentile ` +
  "of the whole hours in this exporter's own history (at most a day, empty after a restart; needs " +
  `${PAGE_NORMAL_MIN_HOURS} h). The ItniotechSpendSurge alert uses 7 days in Prometheus and also needs the last ` +
  '5 minutes above the threshold for 15 minutes, so a single bulk send is marked here for an hour but does not page.';

/** The status page: one card per account, readable with JavaScript off, live with it on. */
export function renderLandingPage(input: LandingPageInput): string {
  const { report } = input;
  const name = escapeText(report.exporter.name);
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${name} status</title>
<link rel="icon" href="data:,">
<noscript><meta http-equiv="refresh" content="60"></noscript>
<style>${PAGE_STYLE}</style>
</head>
<body data-api="${escapeText(input.statusApiPath)}" data-refresh-ms="${input.refreshMs}">
<main>
<div class="top">
<div><h1>${name}</h1>
<p class="sub">Version ${escapeText(report.exporter.version)} · balances polled ${escapeText(report.pollDescription)} · data as of <time id="updated" datetime="${escapeText(report.generatedAt)}">${escapeText(formatClock(report.generatedAt))}</time></p></div>
<nav aria-label="Exporter endpoints"><a href="${escapeText(input.telemetryPath)}">Metrics</a><a href="${escapeText(input.statusApiPath)}">JSON</a><a href="/healthz">Health</a><a href="/readyz">Readiness</a></nav>
</div>
<p id="summary" role="status" aria-live="polite">${renderSummary(report)}</p>
<p id="connection" role="alert" hidden></p>
<section id="accounts" aria-label="Accounts">
${report.accounts.map(renderAccountCard).join('\n')}
</section>
<footer><p id="live">Reload the page for fresh data (this page updates itself when JavaScript is on).</p>
<p class="sub">States, first match wins: <strong>failing</strong> (last poll failed) · <strong>stale</strong> (no successful poll within ${escapeText(humanDuration(report.maxAgeSeconds))}, or none yet) · <strong>low</strong> (balance below the account's threshold or, without one, the alert rules' default of ${RULES_DEFAULT_LOW_BALANCE_THRESHOLD}) · <strong>ok</strong>. Money left is estimated like the Prometheus rules: decreases over the last ${escapeText(humanDuration(report.spendWindowSeconds))}, top-ups ignored.</p>
<p class="sub">${SURGE_NOTE}</p></footer>
</main>
<script>${readPageScript()}</script>
</body>
</html>
`;
}
