/**
 * deploy/helm/itniotech-exporter with the real Helm (CI: Helm 4 from .ci/helm): lint, templates with
 * default and full values, every object against its schema, the restricted profile, the schema's
 * refusal of a misspelt value, the generated rules and dashboard, and the same pod as the kustomize base.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeUnlessMissing, inCI } from '../support/binaries';
import { ROOT } from '../support/exporter-process';
import {
  CHART,
  deploymentSpec,
  expectRestrictedContainer,
  helm,
  helmMissing,
  helmTemplate,
  KUBERNETES,
  kustomizeMissing,
  only,
  render,
  validate,
  type Container,
  type K8sObject,
  type PodSpec,
} from './render';

const FULL = join(CHART, 'ci', 'full-values.yaml');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const RULES = parse(readFileSync(join(ROOT, 'prometheus', 'rules', 'itniotech.rules.yml'), 'utf8')) as {
  groups: Array<{ name: string; rules: Array<{ alert?: string }> }>;
};

/** Objects valid against their schemas, with no field a schema does not know. */
function expectValid(objects: K8sObject[]): void {
  const results = validate(objects);
  expect(results.map((r) => `${r.kind}/${r.name}: ${r.error ?? 'valid'}`)).toEqual(
    objects.map((o) => `${o.kind}/${o.metadata.name}: valid`),
  );
  expect(results.filter((r) => r.unknown.length > 0).map((r) => `${r.kind}: ${r.unknown.join(', ')}`)).toEqual([]);
}

/** The restricted Pod Security profile, for a pod spec and its containers. */
function expectRestricted(pod: PodSpec): void {
  expect(pod.securityContext).toEqual(
    expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }),
  );
  expect(pod.automountServiceAccountToken).toBe(false);
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC', 'hostUsers', 'shareProcessNamespace', 'initContainers'])
    expect(pod[field]).toBeUndefined();
  for (const container of pod.containers) expectRestrictedContainer(container);
  expect((pod.volumes ?? []).map((v) => Object.keys(v).sort())).toEqual(
    (pod.volumes ?? []).map(() => ['name', 'secret']),
  );
}

/** What the chart and the kustomize base must agree on. */
function podContract(pod: PodSpec): Record<string, unknown> {
  const [container] = pod.containers as [Container];
  return {
    podSecurityContext: pod.securityContext,
    automountServiceAccountToken: pod.automountServiceAccountToken,
    enableServiceLinks: pod.enableServiceLinks,
    terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds,
    nodeSelector: pod.nodeSelector,
    volumes: pod.volumes,
    securityContext: container.securityContext,
    args: container.args,
    env: container.env,
    ports: container.ports,
    startupProbe: container.startupProbe,
    livenessProbe: container.livenessProbe,
    readinessProbe: container.readinessProbe,
    resources: container.resources,
    volumeMounts: container.volumeMounts,
  };
}

const missing = helmMissing();
describeUnlessMissing(missing, 'deploy/helm/itniotech-exporter', () => {
  let defaults: K8sObject[];
  let full: K8sObject[];

  beforeAll(() => {
    defaults = helmTemplate();
    full = helmTemplate(['--values', FULL]);
  });

  test('helm lint --strict passes with the default and the full values', () => {
    for (const args of [[], ['--values', FULL]]) {
      const run = helm(['lint', '--strict', CHART, ...args]);
      expect({ args, status: run.status, output: run.output }).toEqual({
        args,
        status: 0,
        output: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed'),
      });
    }
  });

  test('default values: Deployment, Service and ServiceAccount (and the test hook), all valid', () => {
    expect(defaults.map((o) => o.kind).sort()).toEqual(['Deployment', 'Pod', 'Service', 'ServiceAccount']);
    expectValid(defaults);
  });

  test('full values: every object the chart can make, all valid, none with an unknown field', () => {
    expect(full.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'NetworkPolicy',
      'Pod',
      'PrometheusRule',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    expectValid(full);
  });

  test('the validation would catch a misspelt field in a rendered object', () => {
    const monitor = structuredClone(only(full, 'ServiceMonitor')) as K8sObject & {
      spec: { endpoints: Array<Record<string, unknown>> };
    };
    (monitor.spec.endpoints[0] as Record<string, unknown>).scrapeTimout = '1m';
    expect(validate([monitor])[0]?.unknown).toEqual(['spec.endpoints[0].scrapeTimout']);
  });

  test('the schema refuses a misspelt key and a wrong type, naming them', () => {
    const misspelt = helm(['template', 'x', CHART, '--set', 'serviceMonitor.intervall=1m']);
    expect(misspelt.status).not.toBe(0);
    expect(misspelt.output).toMatch(/at '\/serviceMonitor': additional properties 'intervall' not allowed/);
    const top = helm(['template', 'x', CHART, '--set', 'servicemonitor.enabled=true']);
    expect(top.output).toMatch(/additional properties 'servicemonitor' not allowed/);
    const wrongType = helm(['template', 'x', CHART, '--set-string', 'service.port=10042']);
    expect(wrongType.status).not.toBe(0);
    expect(wrongType.output).toMatch(/at '\/service\/port': got string, want integer/);
    const lint = helm(['lint', '--strict', CHART, '--set', 'accountsFile.enable=true']);
    expect(lint.status).not.toBe(0);
  });

  test('the pods (exporter and test hook) meet the restricted profile in both renders', () => {
    for (const objects of [defaults, full]) {
      expectRestricted(deploymentSpec(objects).template.spec);
      expectRestricted(only(objects, 'Pod').spec as PodSpec);
    }
  });

  test('image: the app version by default, the digest when given', () => {
    expect(deploymentSpec(defaults).template.spec.containers[0]?.image).toBe(
      `ghcr.io/itniotech/itniotech-exporter:${VERSION}`,
    );
    expect(deploymentSpec(full).template.spec.containers[0]?.image).toMatch(
      /^registry\.example\.com\/mirror\/itniotech-exporter@sha256:[0-9a-f]{64}$/,
    );
    expect(
      deploymentSpec(helmTemplate(['--set', 'global.imageRegistry=mirror.example.com'])).template.spec.containers[0]
        ?.image,
    ).toBe(`mirror.example.com/itniotech/itniotech-exporter:${VERSION}`);
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    expect({ apiVersion: chart.apiVersion, appVersion: chart.appVersion }).toEqual({
      apiVersion: 'v2',
      appVersion: VERSION,
    });
  });

  test('the PrometheusRule: the groups of the rule file, less the alerts left out; the dashboard byte for byte', () => {
    const groups = (only(full, 'PrometheusRule').spec as { groups: typeof RULES.groups }).groups;
    const want = RULES.groups.map((g) => ({ ...g, rules: g.rules.filter((r) => r.alert !== 'ItniotechSpendSurge') }));
    expect(want.flatMap((g) => g.rules).length).toBe(RULES.groups.flatMap((g) => g.rules).length - 1);
    expect(groups).toStrictEqual(want);
    expect(only(full, 'PrometheusRule').metadata.labels?.release).toBe('kube-prometheus-stack');
    const dashboard = only(full, 'ConfigMap');
    expect(
      (dashboard.data as Record<string, string>)['itniotech.json'] ===
        readFileSync(join(ROOT, 'grafana', 'dashboards', 'itniotech.json'), 'utf8'),
    ).toBe(true);
    expect(dashboard.metadata.labels?.grafana_dashboard).toBe('1');
    expect(dashboard.metadata.annotations?.grafana_folder).toBe('SMS');
  });

  test('the ServiceMonitor scrapes the metrics port over HTTPS with basic auth when the web config turns them on', () => {
    const spec = only(full, 'ServiceMonitor').spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: Array<Record<string, unknown>>;
    };
    const [endpoint] = spec.endpoints;
    expect(endpoint).toMatchObject({ port: 'metrics', scheme: 'https', interval: '1m', scrapeTimeout: '20s' });
    expect(endpoint?.basicAuth).toEqual(expect.objectContaining({ username: expect.anything() }));
    expect((endpoint?.relabelings as Array<Record<string, string>>).map((r) => r.targetLabel ?? r.action)).toEqual([
      'job',
      'instance',
      'labeldrop',
      'cluster',
    ]);
    const service = only(full, 'Service').spec as { selector: Record<string, string>; ports: unknown[] };
    expect(spec.selector.matchLabels).toEqual(service.selector);
    expect(service.ports).toEqual([{ name: 'metrics', port: 10042, targetPort: 'metrics', protocol: 'TCP' }]);
    const [container] = deploymentSpec(full).template.spec.containers as [Container];
    expect(container.args).toEqual([
      '--web.listen-address=:10042',
      '--web.config.file=/etc/itniotech-exporter/web/web-config.yml',
      '--poll.interval=5m',
      '--log.level=debug',
    ]);
  });

  test('helm test runs the image health probe against the Service, with the web config when there is one', () => {
    for (const [objects, extra] of [
      [defaults, []],
      [full, ['--web.config.file=/etc/itniotech-exporter/web/web-config.yml']],
    ] as const) {
      const hook = only(objects, 'Pod');
      expect(hook.metadata.annotations?.['helm.sh/hook']).toBe('test');
      const [container] = (hook.spec as PodSpec).containers as [Container];
      expect(container.image).toBe(deploymentSpec(objects).template.spec.containers[0]?.image);
      expect(container.command).toEqual([
        'node',
        'dist/healthcheck.js',
        `--web.listen-address=${only(objects, 'Service').metadata.name}.monitoring.svc:10042`,
        ...extra,
      ]);
    }
  });

  test('one listener: the port is containerPort, and extraArgs may not add a --web.listen-address', () => {
    const [container] = deploymentSpec(helmTemplate(['--set', 'containerPort=9100'])).template.spec.containers as [
      Container,
    ];
    expect(container.args?.[0]).toBe('--web.listen-address=:9100');
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 9100, protocol: 'TCP' }]);
    for (const arg of ['--web.listen-address=:9000', '--web.listen-address']) {
      const run = helm(['template', 'x', CHART, '--set-json', `extraArgs=${JSON.stringify([arg])}`]);
      expect(run.status).not.toBe(0);
      expect(run.output).toContain('extraArgs must not contain --web.listen-address: set containerPort instead');
    }
  });

  test('NOTES.txt (helm install --dry-run=client) names the Secret, and its commands name the rendered objects', () => {
    for (const [args, secretLine] of [
      [[], '"api-key" (the API key) and "api-secret" (the API secret), for the account "default"'],
      [['--values', FULL], 'the accounts file "accounts.yml"'],
    ] as const) {
      const run = helm([
        'install',
        'itniotech-exporter',
        CHART,
        '--namespace',
        'monitoring',
        '--dry-run=client',
        ...args,
      ]);
      expect(run.status).toBe(0);
      const notes = run.stdout.slice(run.stdout.indexOf('NOTES:'));
      const objects = args.length > 0 ? full : defaults;
      const secret = deploymentSpec(objects).template.spec.volumes?.[0]?.secret?.secretName;
      expect(notes).toContain(`the Secret "${secret}"`);
      expect(notes).toContain(secretLine);
      expect(notes).toContain(`rollout status deployment/${only(objects, 'Deployment').metadata.name}`);
      expect(notes).toContain(`port-forward service/${only(objects, 'Service').metadata.name} 10042:10042`);
      expect(notes).toContain('helm test itniotech-exporter --namespace monitoring');
    }
  });

  const kustomize = kustomizeMissing();
  (kustomize.length === 0 || inCI ? test : test.skip)(
    'chart and kustomize base render the same pod: security, probes, ports, arguments, resources, Secret',
    () => {
      if (kustomize.length > 0) throw new Error(`${kustomize.join(', ')}, but CI=true`);
      const base = deploymentSpec(render(KUBERNETES)).template.spec;
      expect(podContract(deploymentSpec(defaults).template.spec)).toEqual(podContract(base));
      const several = deploymentSpec(render(join(KUBERNETES, 'examples', 'accounts-file'))).template.spec;
      const chartSeveral = deploymentSpec(helmTemplate(['--set', 'accountsFile.enabled=true'])).template.spec;
      expect(podContract(chartSeveral)).toEqual(podContract(several));
    },
  );
});
