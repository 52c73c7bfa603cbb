/**
 * deploy/kubernetes, rendered offline by `kubectl kustomize` as `kubectl apply -k` would: every
 * object against its schema, the restricted Pod Security profile, probes, resources, labels, the
 * selectors between Deployment, Service, ServiceMonitor and NetworkPolicy, kube-prometheus-stack's
 * labels, and the PrometheusRule and dashboard ConfigMap against the files they are generated from.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeUnlessMissing } from '../support/binaries';
import { ROOT } from '../support/exporter-process';
import {
  deploymentSpec,
  expectRestrictedContainer,
  KUBERNETES,
  kustomizeMissing,
  only,
  render,
  validate,
  type K8sObject,
} from './render';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const RULES_FILE = join(ROOT, 'prometheus', 'rules', 'itniotech.rules.yml');
const DASHBOARD_FILE = join(ROOT, 'grafana', 'dashboards', 'itniotech.json');
const KINDS = [
  'ConfigMap',
  'Deployment',
  'NetworkPolicy',
  'PrometheusRule',
  'Service',
  'ServiceAccount',
  'ServiceMonitor',
];
/** What `kubectl apply -k` installs, and the overlay example for several accounts. */
const TREES = { base: KUBERNETES, 'examples/accounts-file': join(KUBERNETES, 'examples', 'accounts-file') };
const SELECTOR_LABELS = {
  'app.kubernetes.io/name': 'itniotech-exporter',
  'app.kubernetes.io/instance': 'itniotech-exporter',
};
// Client-side `kubectl apply` keeps the whole object in an annotation, and annotations may hold 256 KiB in all.
const LAST_APPLIED_LIMIT = 262_144;

const mib = (quantity: string): number => {
  const match = /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)$/.exec(quantity);
  if (!match) throw new Error(`unexpected memory quantity ${quantity}`);
  const factor = { Mi: 1, Gi: 1024, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 }[match[2] as 'Mi' | 'Gi' | 'M' | 'G'];
  return Number(match[1]) * factor;
};

/** The exporter's RSS in MiB from the table in docs/benchmarks.md: the largest idle and under-load figures. */
function benchmarkRss(): { idle: number; underLoad: number } {
  const rows = readFileSync(join(ROOT, 'docs', 'benchmarks.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  const header = rows.find((cells) => cells.includes('RSS under load')) as string[];
  const column = (name: string): number => header.indexOf(name);
  const exporter = rows.filter((cells) => cells[column('server')] === 'exporter');
  expect(exporter.length).toBeGreaterThanOrEqual(3);
  const largest = (name: string): number =>
    Math.max(
      ...exporter.map((cells) => (Number(/^([\d.]+) MB$/.exec(cells[column(name)] ?? '')?.[1]) * 1e6) / 2 ** 20),
    );
  return { idle: Math.max(largest('RSS idle 1.5 s'), largest('RSS settled')), underLoad: largest('RSS under load') };
}

const contains = (labels: Record<string, string> | undefined, selector: Record<string, string>): boolean =>
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

describeUnlessMissing(kustomizeMissing(), 'deploy/kubernetes', () => {
  const rendered: Record<keyof typeof TREES, K8sObject[]> = { base: [], 'examples/accounts-file': [] };

  beforeAll(() => {
    for (const [tree, dir] of Object.entries(TREES)) rendered[tree as keyof typeof TREES] = render(dir);
  });

  test.each(Object.keys(TREES))('%s renders offline to the seven objects, each valid against its schema', (tree) => {
    const objects = rendered[tree as keyof typeof TREES];
    expect(objects.map((o) => o.kind).sort()).toEqual(KINDS);
    const results = validate(objects);
    expect(results.map((r) => `${r.kind}/${r.name}: ${r.error ?? 'valid'}`)).toEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}: valid`),
    );
    expect(results.filter((r) => r.unknown.length > 0).map((r) => `${r.kind}: ${r.unknown.join(', ')}`)).toEqual([]);
    for (const object of objects) {
      expect(object.metadata.namespace).toBe('monitoring');
      expect(Buffer.byteLength(JSON.stringify(object))).toBeLessThan(LAST_APPLIED_LIMIT);
    }
  });

  test('the validation catches a wrong type and a misspelt field', () => {
    const deployment = structuredClone(only(rendered.base, 'Deployment')) as K8sObject & {
      spec: Record<string, unknown>;
    };
    deployment.spec.replicas = 'one';
    const sm = structuredClone(only(rendered.base, 'ServiceMonitor')) as K8sObject & {
      spec: { endpoints: Array<Record<string, unknown>> };
    };
    (sm.spec.endpoints[0] as Record<string, unknown>).intervall = '1m';
    const [wrongType, misspelt] = validate([deployment, sm]);
    expect(wrongType?.error).toMatch(/spec\/replicas must be integer/);
    expect(misspelt).toEqual(expect.objectContaining({ error: null, unknown: ['spec.endpoints[0].intervall'] }));
  });

  test('every object carries the app.kubernetes.io name, instance and version labels; the image is the release', () => {
    for (const object of rendered.base) {
      expect({ kind: object.kind, labels: object.metadata.labels }).toEqual({
        kind: object.kind,
        labels: expect.objectContaining({ ...SELECTOR_LABELS, 'app.kubernetes.io/version': VERSION }),
      });
    }
    const spec = deploymentSpec(rendered.base);
    expect(spec.template.metadata.labels).toEqual(
      expect.objectContaining({ ...SELECTOR_LABELS, 'app.kubernetes.io/version': VERSION }),
    );
    expect(spec.template.spec.containers.map((c) => c.image)).toEqual([
      `ghcr.io/itniotech/itniotech-exporter:${VERSION}`,
    ]);
  });

  test('the pod meets the restricted Pod Security profile and carries no service account token', () => {
    const pod = deploymentSpec(rendered.base).template.spec;
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(only(rendered.base, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(only(rendered.base, 'ServiceAccount').metadata.name);
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC', 'hostUsers', 'shareProcessNamespace'])
      expect(pod[field]).toBeUndefined();
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers).toHaveLength(1);
    for (const container of pod.containers) expectRestrictedContainer(container);
    // Restricted allows these volume types only; this pod needs a Secret and nothing else.
    expect(pod.volumes?.map((v) => Object.keys(v).sort())).toEqual([['name', 'secret']]);
  });

  test('one replica, replaced (never two at once), stopped gracefully', () => {
    const spec = deploymentSpec(rendered.base);
    expect(spec.replicas).toBe(1);
    expect(spec.strategy).toEqual({ type: 'Recreate' });
    // The exporter stops within about a second of SIGTERM (test/image).
    expect(spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(5);
  });

  test('liveness on /healthz, readiness on /readyz, a start-up allowance before liveness counts', () => {
    const [container] = deploymentSpec(rendered.base).template.spec.containers;
    const portNames = container?.ports?.map((p) => p.name);
    expect(portNames).toEqual(['metrics']);
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    // The start-up probe holds back liveness and readiness until the exporter serves: at least 30 s.
    const startup = container?.startupProbe;
    expect(startup?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect((startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3)).toBeGreaterThanOrEqual(30);
    // Nothing that restarts the pod waits on the first poll (/readyz): a slow ITNIO API must not cause restarts.
    const liveness = container?.livenessProbe;
    expect((liveness?.periodSeconds ?? 10) * (liveness?.failureThreshold ?? 3)).toBeGreaterThanOrEqual(60);
    expect(liveness?.timeoutSeconds).toBeGreaterThanOrEqual(2);
    // The listen address in the arguments is the container port the probes name.
    expect(container?.args).toContain(`--web.listen-address=:${container?.ports?.[0]?.containerPort}`);
  });

  test('resources are sized from the memory figures in docs/benchmarks.md', () => {
    const [container] = deploymentSpec(rendered.base).template.spec.containers;
    const { idle, underLoad } = benchmarkRss();
    const request = mib(container?.resources?.requests?.memory ?? '0Mi');
    const limit = mib(container?.resources?.limits?.memory ?? '0Mi');
    console.log(
      `benchmark RSS: idle up to ${idle.toFixed(0)} MiB, under load ${underLoad.toFixed(0)} MiB; request ${request} MiB, limit ${limit} MiB`,
    );
    expect(request).toBeGreaterThanOrEqual(idle);
    expect(limit).toBeGreaterThanOrEqual(underLoad * 1.25);
    expect(limit).toBeLessThanOrEqual(underLoad * 4);
    expect(container?.resources?.requests?.cpu).toBeDefined();
  });

  test('Deployment, Service, ServiceMonitor and NetworkPolicy select each other by label and port name', () => {
    const spec = deploymentSpec(rendered.base);
    const podLabels = spec.template.metadata.labels;
    expect(spec.selector.matchLabels).toEqual(SELECTOR_LABELS);
    expect(contains(podLabels, spec.selector.matchLabels)).toBe(true);

    const service = only(rendered.base, 'Service') as K8sObject & {
      spec: { selector: Record<string, string>; ports: Array<{ name: string; port: number; targetPort: string }> };
    };
    expect(service.spec.selector).toEqual(SELECTOR_LABELS);
    expect(contains(podLabels, service.spec.selector)).toBe(true);
    expect(service.spec.ports).toEqual([{ name: 'metrics', port: 10042, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(spec.template.spec.containers[0]?.ports?.map((p) => p.name)).toContain(service.spec.ports[0]?.targetPort);

    const monitor = only(rendered.base, 'ServiceMonitor') as K8sObject & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        namespaceSelector?: unknown;
        endpoints: Array<Record<string, unknown>>;
      };
    };
    expect(monitor.spec.selector.matchLabels).toEqual(SELECTOR_LABELS);
    expect(contains(service.metadata.labels, monitor.spec.selector.matchLabels)).toBe(true);
    expect(monitor.spec.namespaceSelector).toBeUndefined();
    expect(monitor.metadata.namespace).toBe(service.metadata.namespace);
    expect(monitor.spec.endpoints).toHaveLength(1);
    expect(monitor.spec.endpoints[0]).toEqual(
      expect.objectContaining({ port: 'metrics', path: '/metrics', scheme: 'http' }),
    );

    const policy = only(rendered.base, 'NetworkPolicy') as K8sObject & {
      spec: { podSelector: { matchLabels: Record<string, string> } };
    };
    expect(policy.spec.podSelector.matchLabels).toEqual(SELECTOR_LABELS);
    // A selector is immutable on a live Deployment: the version must never be in one.
    for (const selector of [
      spec.selector.matchLabels,
      service.spec.selector,
      monitor.spec.selector.matchLabels,
      policy.spec.podSelector.matchLabels,
    ]) {
      expect(Object.keys(selector)).not.toContain('app.kubernetes.io/version');
    }
  });

  test('the scrape gives what the rules assume: job="itniotech", one instance across pod restarts, the stack\'s interval', () => {
    const rules = readFileSync(RULES_FILE, 'utf8');
    const jobs = new Set([...rules.matchAll(/\bjob="([^"]+)"/g)].map((m) => m[1]));
    expect([...jobs]).toEqual(['itniotech']);
    const compose = parse(readFileSync(join(ROOT, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      global: { scrape_interval: string };
    };
    const [endpoint] = (only(rendered.base, 'ServiceMonitor').spec as { endpoints: Array<Record<string, unknown>> })
      .endpoints;
    expect(endpoint?.interval).toBe(compose.global.scrape_interval);
    expect(endpoint?.scrapeTimeout).toBe('10s');
    expect(endpoint?.relabelings).toEqual([
      { action: 'replace', targetLabel: 'job', replacement: 'itniotech' },
      {
        action: 'replace',
        sourceLabels: ['__meta_kubernetes_namespace', '__meta_kubernetes_service_name'],
        separator: '/',
        targetLabel: 'instance',
      },
      { action: 'labeldrop', regex: 'pod|container' },
    ]);
  });

  test("kube-prometheus-stack's labels: release on the ServiceMonitor and PrometheusRule, grafana_dashboard on the dashboard", () => {
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
      expect(only(rendered.base, kind).metadata.labels?.release).toBe('kube-prometheus-stack');
      expect(only(rendered['examples/accounts-file'], kind).metadata.labels?.release).toBe('prometheus');
    }
    expect(only(rendered.base, 'ConfigMap').metadata.labels?.grafana_dashboard).toBe('1');
  });

  test('the NetworkPolicy lets in Prometheus on the metrics port only, and out DNS and HTTPS to public addresses', () => {
    for (const objects of Object.values(rendered)) {
      const { spec } = only(objects, 'NetworkPolicy') as K8sObject & { spec: Record<string, unknown> };
      expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
      // kustomize's includeSelectors would have written the exporter's labels into the Prometheus peer.
      expect(spec.ingress).toEqual([
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
            },
          ],
          ports: [{ port: 'metrics', protocol: 'TCP' }],
        },
      ]);
      const [dns, https, ...others] = spec.egress as Array<{ to: Array<Record<string, unknown>>; ports: unknown[] }>;
      expect(others).toEqual([]);
      expect(dns).toEqual({
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      });
      expect(https?.ports).toEqual([{ port: 443, protocol: 'TCP' }]);
      const blocks = https?.to.map((peer) => peer.ipBlock as { cidr: string; except: string[] });
      expect(blocks?.map((b) => b.cidr)).toEqual(['0.0.0.0/0', '::/0']);
      expect(blocks?.[0]?.except).toEqual(
        expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']),
      );
      expect(blocks?.[1]?.except).toEqual(expect.arrayContaining(['fc00::/7', 'fe80::/10']));
    }
  });

  test('credentials come from the Secret: the API key by reference, the secret as a file; the accounts file for several', () => {
    const single = deploymentSpec(rendered.base).template.spec;
    const several = deploymentSpec(rendered['examples/accounts-file']).template.spec;
    for (const pod of [single, several]) {
      expect(pod.volumes).toEqual([
        { name: 'secrets', secret: { secretName: 'itniotech-exporter', defaultMode: 0o440 } },
      ]);
      expect(pod.containers[0]?.volumeMounts).toEqual([
        { name: 'secrets', mountPath: '/etc/itniotech-exporter/secrets', readOnly: true },
      ]);
      expect(pod.containers[0]?.envFrom).toBeUndefined();
      // No secret value in the manifest, and the exporter reads no secret from the environment.
      expect(pod.containers[0]?.env?.map((e) => e.name)).not.toContain('ITNIO_API_SECRET');
    }
    expect(single.containers[0]?.env).toEqual([
      { name: 'ITNIO_ACCOUNT', value: 'default' },
      { name: 'ITNIO_API_KEY', valueFrom: { secretKeyRef: { name: 'itniotech-exporter', key: 'api-key' } } },
      { name: 'ITNIO_API_SECRET_FILE', value: '/etc/itniotech-exporter/secrets/api-secret' },
      // Passed through so a patch can turn the numbers collector on (issue 18).
      { name: 'ITNIO_COLLECTOR_NUMBERS', value: 'false' },
    ]);
    expect(several.containers[0]?.env).toEqual([
      { name: 'ITNIO_CONFIG_FILE', value: '/etc/itniotech-exporter/secrets/accounts.yml' },
      { name: 'ITNIO_COLLECTOR_NUMBERS', value: 'false' },
    ]);
    expect(single.enableServiceLinks).toBe(false);
    // The repository holds no Secret object.
    expect(rendered.base.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test('the PrometheusRule carries exactly the groups of prometheus/rules/itniotech.rules.yml', () => {
    const rules = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: unknown[] };
    expect((only(rendered.base, 'PrometheusRule').spec as { groups: unknown[] }).groups).toStrictEqual(rules.groups);
  });

  test('the dashboard ConfigMap carries grafana/dashboards/itniotech.json byte for byte', () => {
    const data = only(rendered.base, 'ConfigMap').data as Record<string, string>;
    expect(Object.keys(data)).toEqual(['itniotech.json']);
    expect(data['itniotech.json'] === readFileSync(DASHBOARD_FILE, 'utf8')).toBe(true);
  });

  test('the generated files are up to date (npm run k8s:generate -- --check)', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'k8s-generate.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect(`${run.stdout}${run.stderr}`.trim()).toBe(
      'deploy/kubernetes/base and deploy/helm/itniotech-exporter are up to date',
    );
    expect(run.status).toBe(0);
  });

  test('the check fails when the rules, the dashboard or the version change without a regeneration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'itnio-k8s-generate-'));
    try {
      for (const path of [
        'scripts',
        'prometheus/rules',
        'grafana/dashboards',
        'deploy/kubernetes/base',
        'deploy/helm/itniotech-exporter',
        'package.json',
        '.prettierrc.json',
      ]) {
        cpSync(join(ROOT, path), join(dir, path), { recursive: true });
      }
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      const check = (): { status: number | null; output: string } => {
        const run = spawnSync(process.execPath, [join(dir, 'scripts', 'k8s-generate.mjs'), '--check'], {
          encoding: 'utf8',
        });
        return { status: run.status, output: `${run.stdout}${run.stderr}` };
      };
      expect(check().status).toBe(0);
      const edit = (path: string, change: (text: string) => string): void =>
        writeFileSync(join(dir, path), change(readFileSync(join(dir, path), 'utf8')));
      edit('prometheus/rules/itniotech.rules.yml', (text) => text.replace('for: 10m', 'for: 11m'));
      edit('grafana/dashboards/itniotech.json', (text) => text.replace('"Balances"', '"Balance"'));
      edit('package.json', (text) => text.replace(`"version": "${VERSION}"`, '"version": "9.9.9"'));
      expect(check()).toEqual({
        status: 1,
        output: expect.stringContaining(
          'deploy/kubernetes/base/prometheusrule.yaml, deploy/kubernetes/base/dashboard-configmap.yaml, deploy/kubernetes/base/kustomization.yaml, ' +
            'deploy/helm/itniotech-exporter/files/itniotech.rules.yml, deploy/helm/itniotech-exporter/files/itniotech.json, deploy/helm/itniotech-exporter/Chart.yaml',
        ),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
