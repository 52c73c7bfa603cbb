/**
 * The compose stack's default images: exact tags, Prometheus on its 3.x line (the one CI runs
 * the rules and the end-to-end test on besides Debian's 2.42), and Grafana at the release whose
 * @grafana/schema the dashboard is checked against.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../support/exporter-process';

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { image?: string }>;
};
/** `${VAR:-default}` → default. */
const defaultImage = (service: string): string =>
  /^\$\{\w+:-(.+)\}$/.exec(compose.services[service]?.image ?? '')?.[1] ?? '';

describe('docker-compose.yml default images', () => {
  test.each(['prometheus', 'alertmanager', 'grafana'])('%s is pinned to an exact release', (service) => {
    expect(defaultImage(service)).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
  });

  test('Prometheus is 3.x', () => {
    expect(defaultImage('prometheus')).toMatch(/^prom\/prometheus:v3\.\d+\.\d+$/);
  });

  test("Grafana is the release the dashboard's schema check uses", () => {
    const schema = JSON.parse(
      readFileSync(join(ROOT, 'node_modules', '@grafana', 'schema', 'package.json'), 'utf8'),
    ) as { version: string };
    expect(defaultImage('grafana')).toBe(`grafana/grafana:${schema.version}`);
  });

  test('.env.example names the same images', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    for (const service of ['prometheus', 'alertmanager', 'grafana'])
      expect(example).toContain(`=${defaultImage(service)}\n`);
  });
});
