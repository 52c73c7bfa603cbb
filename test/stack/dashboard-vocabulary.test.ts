import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_STATUSES, KNOWN_API_STATUSES, UNDOCUMENTED_STATUS } from '../../src/itnio/failures';

/*
 * The dashboard's words for API statuses come from src/itnio/failures.ts, the one vocabulary.
 * When a status is added there, this test fails and prints what the dashboard must say; run it
 * with SYNC_DASHBOARD=1 to write that into the dashboard.
 */
const DASHBOARD = join(__dirname, '..', '..', 'grafana', 'dashboards', 'itniotech.json');
const BASE =
  'sum by (account, status) (rate(itniotech_api_errors_total{account=~"$account"}[$__rate_interval])) * 60 > 0';

interface Panel {
  id: number;
  title?: string;
  targets?: Array<{ expr?: string; legendFormat?: string }>;
  options?: { content?: string };
  panels?: Panel[];
}

/** The API errors panel's query: each status labelled with its legend, unknown ones as undocumented. */
function expectedLegendExpr(): string {
  let expr = `label_replace(${BASE}, "meaning", "${UNDOCUMENTED_STATUS.legend}", "status", ".*")`;
  for (const status of KNOWN_API_STATUSES)
    expr = `label_replace(${expr}, "meaning", "${API_STATUSES[status].legend}", "status", "${status}")`;
  return expr;
}

/** The status table panel: every status with its meaning and what to do. */
function expectedStatusTable(): string {
  const rows = KNOWN_API_STATUSES.map((s) => `| ${s} | ${API_STATUSES[s].meaning} | ${API_STATUSES[s].hint} |`);
  return ['| status | meaning | what to do |', '|---|---|---|', ...rows, ''].join('\n');
}

function panels(list: Panel[]): Panel[] {
  return list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
}

describe('dashboard words for API statuses', () => {
  const text = readFileSync(DASHBOARD, 'utf8');
  const dashboard = JSON.parse(text) as { panels: Panel[] };
  const errors = panels(dashboard.panels).find((p) => p.title === 'API errors by status code');
  const table = panels(dashboard.panels).find((p) => p.title === 'ITNIO API status codes');

  if (process.env.SYNC_DASHBOARD === '1' && errors?.targets?.[0] && table?.options) {
    writeFileSync(
      DASHBOARD,
      text
        .replace(JSON.stringify(errors.targets[0].expr), JSON.stringify(expectedLegendExpr()))
        .replace(JSON.stringify(table.options.content), JSON.stringify(expectedStatusTable())),
    );
  }

  test('the API errors panel labels every known status with its legend from the vocabulary', () => {
    expect(errors?.targets?.[0]?.expr).toBe(expectedLegendExpr());
    expect(errors?.targets?.[0]?.legendFormat).toBe('{{account}}: {{status}} {{meaning}}');
    for (const status of KNOWN_API_STATUSES) expect(errors?.targets?.[0]?.expr).toContain(`"status", "${status}")`);
  });

  test('the status table lists every known status with its meaning and hint', () => {
    expect(table?.options?.content).toBe(expectedStatusTable());
    expect(table?.options?.content?.split('\n').filter((l) => /^\| -\d+ \|/.test(l))).toHaveLength(
      KNOWN_API_STATUSES.length,
    );
  });
});
