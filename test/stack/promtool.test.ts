/**
 * Static checks of the operations assets: Prometheus config and rules (promtool),
 * Alertmanager config (amtool), docker compose file and the Grafana dashboard.
 *
 * A missing binary skips its test locally (with a message) but fails in CI
 * (CI=true), so a green CI run never hides an unchecked file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROMTOOL, testWithBinaries } from '../support/binaries';

const root = path.join(__dirname, '../..');

function run(binary: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(binary, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

const withBinary = (binary: string, name: string, body: () => void): void => testWithBinaries([binary], name, body);

function expectSuccess(binary: string, args: string[]): string {
  const { status, output } = run(binary, args);
  if (status !== 0) throw new Error(`${binary} ${args.join(' ')} exited with ${status}:\n${output}`);
  return output;
}

describe('Prometheus', () => {
  withBinary(PROMTOOL, 'promtool check config prometheus/prometheus.yml', () => {
    expectSuccess(PROMTOOL, ['check', 'config', 'prometheus/prometheus.yml']);
  });

  withBinary(PROMTOOL, 'promtool check rules --lint=all --lint-fatal', () => {
    expectSuccess(PROMTOOL, ['check', 'rules', '--lint=all', '--lint-fatal', 'prometheus/rules/itniotech.rules.yml']);
  });

  withBinary(PROMTOOL, 'promtool test rules (alert and recording rule unit tests)', () => {
    const files = [
      'prometheus/rules/itniotech.rules.test.yml',
      'prometheus/rules/itniotech.spend.rules.test.yml',
      'prometheus/rules/itniotech.numbers.rules.test.yml',
    ];
    const output = expectSuccess(PROMTOOL, ['test', 'rules', ...files]);
    expect(output.match(/SUCCESS/g)).toHaveLength(files.length);
  });
});

describe('Alertmanager', () => {
  withBinary('amtool', 'amtool check-config alertmanager/alertmanager.yml', () => {
    expectSuccess('amtool', ['check-config', 'alertmanager/alertmanager.yml']);
  });
});

describe('docker compose', () => {
  withBinary('docker-compose', 'docker-compose config (default and demo profile)', () => {
    expectSuccess('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']);
    expectSuccess('docker-compose', ['-f', 'docker-compose.yml', '--profile', 'demo', 'config', '-q']);
  });
});

interface Target {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  title?: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { type?: string; uid?: string };
}

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(path.join(root, 'grafana/dashboards/itniotech.json'), 'utf8')) as {
    uid: string;
    schemaVersion: number;
    panels: Panel[];
    templating: { list: Variable[] };
    annotations: { list: Array<{ expr?: string; datasource?: { uid?: string } }> };
  };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const queried = panels.filter((p) => (p.targets ?? []).length > 0);
  const variable = (name: string): Variable | undefined => dashboard.templating.list.find((v) => v.name === name);

  test('has the stable uid and a current schema', () => {
    expect(dashboard.uid).toBe('itniotech-balance');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
  });

  test('has a prometheus datasource variable and a multi-value account variable', () => {
    expect(variable('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const account = variable('account');
    expect(account).toMatchObject({
      type: 'query',
      multi: true,
      includeAll: true,
      datasource: { uid: '${datasource}' },
    });
    expect(JSON.stringify(account?.query)).toContain('label_values(itniotech_up, account)');
  });

  test('every panel and target uses ${datasource}', () => {
    expect(queried.length).toBeGreaterThan(10);
    for (const panel of queried) {
      expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({ panel: panel.title, uid: '${datasource}' });
      for (const target of panel.targets ?? []) {
        expect({ panel: panel.title, uid: target.datasource?.uid }).toEqual({
          panel: panel.title,
          uid: '${datasource}',
        });
      }
    }
    for (const annotation of dashboard.annotations.list) {
      expect(annotation.datasource?.uid).toBe('${datasource}');
    }
  });

  test('no datasource uid other than ${datasource} anywhere', () => {
    const uids = [...JSON.stringify(dashboard).matchAll(/"uid":\s*"([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(uids)).toEqual(new Set(['${datasource}', 'itniotech-balance']));
  });

  test('every itniotech series selector is filtered by the account variable', () => {
    for (const panel of queried) {
      for (const target of panel.targets ?? []) {
        const expr = target.expr ?? '';
        expect(expr).not.toBe('');
        // Only $account and $__rate_interval, which the e2e test substitutes.
        for (const macro of expr.match(/\$\{?\w+/g) ?? []) {
          expect(['$account', '$__rate_interval']).toContain(macro);
        }
        for (const selector of expr.match(/\bitniotech[_:][\w:]*(\{[^}]*\})?/g) ?? []) {
          if (selector.startsWith('itniotech_exporter_build_info')) continue;
          expect({ panel: panel.title, selector, ok: selector.includes('account=~"$account"') }).toEqual({
            panel: panel.title,
            selector,
            ok: true,
          });
        }
      }
    }
  });
});
