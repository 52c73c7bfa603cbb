/**
 * deploy/helm/itniotech-exporter with the real Helm (CI: Helm 4 from .ci/helm): lint, templates with
 * default and full values, every object against its schema, the restricted profile, the schema's
 * refusal of a misspelt value, the generated rules and dashboard, and the same pod as the kustomize base.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeUnlessMissing, inCI } from '../support/binaries';
import { createTestPki } from '../support/certs';
import { ACCOUNT_A, startHarness } from '../support/exporter-harness';
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

/** A probe as the kubelet sends it over HTTPS: no certificate check, no client certificate; the status or the error. */
function kubeletHttpsGet(port: number, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

/** A tcpSocket probe: the connection is accepted. */
function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
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

  test('helm test runs the image health probe against the Service, told the scheme, with no Secret mounted', () => {
    for (const [objects, extra] of [
      [defaults, []],
      [full, ['--probe.tls']],
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
      expect((hook.spec as PodSpec).volumes).toBeUndefined();
      expect(container.volumeMounts).toBeUndefined();
    }
  });

  test('networkPolicy: the test pod is not the exporter, and the exporter admits it; extra egress is added', () => {
    const objects = helmTemplate([
      '--values',
      FULL,
      '--set-json',
      'networkPolicy.extraEgress=[{"to":[{"ipBlock":{"cidr":"10.1.2.3/32"}}],"ports":[{"port":3128,"protocol":"TCP"}]}]',
    ]);
    const policy = only(objects, 'NetworkPolicy').spec as {
      podSelector: { matchLabels: Record<string, string> };
      ingress: Array<{
        from: Array<{ podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown }>;
      }>;
      egress: Array<{ ports: Array<{ port: number }> }>;
    };
    const selects = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    const exporterLabels = deploymentSpec(objects).template.metadata.labels;
    const testLabels = only(objects, 'Pod').metadata.labels;
    expect(selects(policy.podSelector.matchLabels, exporterLabels)).toBe(true);
    expect(selects(policy.podSelector.matchLabels, testLabels)).toBe(false);
    // A peer with a podSelector and no namespaceSelector is a pod of the policy's own namespace.
    const admitsTest = policy.ingress.some((rule) =>
      rule.from.some(
        (peer) =>
          peer.namespaceSelector === undefined &&
          peer.podSelector?.matchLabels !== undefined &&
          selects(peer.podSelector.matchLabels, testLabels),
      ),
    );
    expect(admitsTest).toBe(true);
    // Nor does that rule admit the exporter itself or any pod without the test's labels.
    expect(
      policy.ingress.some((rule) =>
        rule.from.some(
          (peer) => peer.namespaceSelector === undefined && selects(peer.podSelector?.matchLabels ?? {}, {}),
        ),
      ),
    ).toBe(false);
    expect(policy.egress.map((rule) => rule.ports.map((p) => p.port))).toEqual([[53, 53], [443], [3128]]);
    expectValid(objects);
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

  test('webConfig.tls: HTTPS probes (the kubelet skips certificate checks); the ServiceMonitor follows', () => {
    const tls = helmTemplate(['--set', 'webConfig.existingSecret=web', '--set', 'webConfig.tls=true']);
    const [container] = deploymentSpec(tls).template.spec.containers as [Container];
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const)
      expect({ probe, httpGet: (container[probe] as { httpGet?: unknown }).httpGet }).toEqual({
        probe,
        httpGet: { path: probe === 'readinessProbe' ? '/readyz' : '/healthz', port: 'metrics', scheme: 'HTTPS' },
      });
    const monitor = helmTemplate(['--values', FULL, '--set', 'serviceMonitor.scheme=']);
    expect(
      (only(monitor, 'ServiceMonitor').spec as { endpoints: Array<{ scheme: string }> }).endpoints[0]?.scheme,
    ).toBe('https');
    const [fullContainer] = deploymentSpec(full).template.spec.containers as [Container];
    expect((fullContainer.livenessProbe as { httpGet: { scheme?: string } }).httpGet.scheme).toBe('HTTPS');
    const noSecret = helm(['template', 'x', CHART, '--set', 'webConfig.tls=true']);
    expect(noSecret.status).not.toBe(0);
    expect(noSecret.output).toContain('webConfig.tls needs webConfig.existingSecret');
  });

  test('webConfig.clientCertRequired: TCP probes, since the kubelet sends no client certificate', () => {
    const objects = helmTemplate([
      '--set',
      'webConfig.existingSecret=web',
      '--set',
      'webConfig.tls=true',
      '--set',
      'webConfig.clientCertRequired=true',
    ]);
    const [container] = deploymentSpec(objects).template.spec.containers as [Container];
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
      expect(container[probe]).toEqual(expect.objectContaining({ tcpSocket: { port: 'metrics' } }));
      expect(container[probe]).not.toHaveProperty('httpGet');
    }
    expectValid(objects);
  });

  test('the rendered probes pass against a TLS exporter the way the kubelet sends them, in both client-cert modes', async () => {
    const pki = createTestPki();
    const tlsConfig = `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n  client_ca_file: ${pki.caCert}\n`;
    const base = ['--set', 'webConfig.existingSecret=web', '--set', 'webConfig.tls=true'];
    try {
      for (const [clientAuth, values] of [
        ['VerifyClientCertIfGiven', base],
        ['RequireAndVerifyClientCert', [...base, '--set', 'webConfig.clientCertRequired=true']],
      ] as const) {
        const webConfig = join(pki.dir, `${clientAuth}.yml`);
        writeFileSync(webConfig, `${tlsConfig}  client_auth_type: ${clientAuth}\n`);
        const [container] = deploymentSpec(helmTemplate([...values])).template.spec.containers as [Container];
        const harness = await startHarness(
          [ACCOUNT_A],
          (s) => [`--api.base-url=${s.baseUrl}`, `--web.config.file=${webConfig}`],
          { ITNIO_API_KEY: ACCOUNT_A.apiKey, ITNIO_API_SECRET: ACCOUNT_A.apiSecret },
        );
        const port = Number(new URL(harness.exporter.url).port);
        try {
          for (const name of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
            const probe = container[name] as { httpGet?: { path: string; scheme?: string }; tcpSocket?: unknown };
            if (probe.httpGet) {
              expect(probe.httpGet.scheme).toBe('HTTPS');
              // /readyz may still say 503 (no poll yet): an HTTP answer means the handshake passed.
              const status = await kubeletHttpsGet(port, probe.httpGet.path);
              expect({ clientAuth, name, status }).toEqual({
                clientAuth,
                name,
                status: name === 'readinessProbe' ? expect.any(Number) : 200,
              });
            } else {
              expect({ clientAuth, name, tcp: await tcpConnects(port) }).toEqual({ clientAuth, name, tcp: true });
            }
          }
          // Why the TCP probes: without a client certificate, no HTTPS request gets through.
          if (clientAuth === 'RequireAndVerifyClientCert')
            expect(typeof (await kubeletHttpsGet(port, '/healthz'))).toBe('string');
        } finally {
          await harness.close();
        }
      }
    } finally {
      pki.remove();
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
