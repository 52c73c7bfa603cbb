/**
 * The rendered pod runs: the Deployment's container from `kubectl kustomize`, run by podman with
 * the manifest's arguments, environment, security context and memory limit, the Secret made by
 * the `kubectl create secret` commands of docs/kubernetes.md and mounted as the kubelet mounts
 * it. It polls the simulator, which shares its network namespace as a sidecar would (the only
 * setting added is ITNIO_BASE_URL, to reach it), and its probes pass as the kubelet asks them.
 * The image is built as test/image builds it (the base is ITNIO_TEST_NODE_IMAGE, CI's stand-in),
 * so the second build in a run comes from podman's layer cache.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { DEMO_ACCOUNTS } from '../../src/simulator/demo-accounts';
import { describeUnlessMissing, hasBinary, inCI } from '../support/binaries';
import { createTestPki } from '../support/certs';
import { eventually, ROOT } from '../support/exporter-process';
import { parseSamples } from '../support/prom-text';
import { buildImage, podman, podmanOk } from '../support/podman';
import { memoryBytes, podmanRunArgs, probeUrl, secretVolumeDir, type SecretObject } from './pod';
import {
  deploymentSpec,
  helmMissing,
  helmTemplate,
  KUBERNETES,
  kustomizeMissing,
  only,
  render,
  type Container,
  type K8sObject,
  type PodSpec,
} from './render';

const BASE = process.env.ITNIO_TEST_NODE_IMAGE || 'node:24-bookworm-slim';
const IMAGE = `localhost/itniotech-exporter:k8s-test-${process.pid}`;
const SIMULATOR_PORT = 10043;
const DOC = readFileSync(join(ROOT, 'docs', 'kubernetes.md'), 'utf8');
const demo = (name: string): (typeof DEMO_ACCOUNTS)[number] => {
  const account = DEMO_ACCOUNTS.find((a) => a.name === name);
  if (!account) throw new Error(`no demo account ${name}`);
  return account;
};

/** The shell lines of docs/kubernetes.md's sh blocks that start with `prefix`, split into words. */
function docCommands(prefix: string): string[][] {
  const blocks = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks
    .flatMap((block) => block.split('\n'))
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.replace(/\s+#.*$/, '').split(/\s+/));
}

/** The docs' accounts file, with the demo accounts' API keys in place of the examples. */
function docAccountsFile(): string {
  const block = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1] as string)
    .find((b) => b.startsWith('accounts:'));
  if (!block) throw new Error('docs/kubernetes.md has no yaml block starting with accounts:');
  const file = parse(block) as { accounts: Array<{ name: string; api_key: string }> };
  for (const account of file.accounts) account.api_key = demo(account.name).apiKey;
  return stringify(file);
}

/**
 * Runs a `kubectl create secret` command of the docs with --dry-run=client, in a folder holding
 * the files it names: `contents` maps each of the Secret's keys to what its file holds.
 */
function docSecret(command: string[], contents: Record<string, string>, dir: string): SecretObject {
  mkdirSync(dir, { recursive: true });
  for (const word of command.filter((w) => w.startsWith('--from-file='))) {
    const [key, path] = word.slice('--from-file='.length).split('=') as [string, string | undefined];
    const content = contents[key];
    if (content === undefined) throw new Error(`the test has no content for the Secret key ${key}`);
    writeFileSync(join(dir, path ?? key), content);
  }
  const run = spawnSync(command[0] as string, [...command.slice(1), '--dry-run=client', '-o', 'json'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`${command.join(' ')} exited with ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as SecretObject;
}

/** The one-account Secret of the docs, for the demo account `marketing`. */
function docSingleSecret(commands: string[][], dir: string): SecretObject {
  const marketing = demo('marketing');
  return docSecret(
    commands.find((c) => c.includes('--from-file=api-key=api-key')) ?? [],
    { 'api-key': marketing.apiKey, 'api-secret': `${marketing.apiSecret}\n` },
    dir,
  );
}

/** The accounts-file Secret of the docs, with the demo accounts' secrets; and the accounts' names. */
function docSeveralSecret(commands: string[][], dir: string): { secret: SecretObject; names: string[] } {
  const accountsFile = docAccountsFile();
  const names = (parse(accountsFile) as { accounts: Array<{ name: string }> }).accounts.map((a) => a.name);
  const contents: Record<string, string> = { 'accounts.yml': accountsFile };
  for (const account of names) contents[account] = demo(account).apiSecret;
  const secret = docSecret(
    commands.find((c) => c.some((w) => w.startsWith('--from-file=accounts.yml'))) ?? [],
    contents,
    dir,
  );
  return { secret, names };
}

const missing = kustomizeMissing();
// The chart's pods need Helm as well; without it they skip, or fail in CI.
const helmGap = helmMissing();
const chartTest = helmGap.length === 0 || inCI ? test : test.skip;
if (helmGap.length > 0 && !inCI)
  console.warn(`skipping the chart's pods: ${helmGap.join(', ')} (they fail instead when CI=true)`);
const requireHelm = (): void => {
  if (helmGap.length > 0) throw new Error(`${helmGap.join(', ')}, but CI=true: install it (see .ci/run)`);
};
// The chart's `helm test` hook probes the Service by its cluster name; here, cluster DNS is a hosts file naming loopback.
const SERVICE_HOST = 'itniotech-exporter.monitoring.svc';
if (!hasBinary('podman')) missing.push('podman not installed');
else if (podman(['image', 'exists', BASE]).status !== 0) {
  missing.push(`base image ${BASE} not present (podman pull it, or build the stand-in: see .ci/run)`);
}

describeUnlessMissing(missing, 'the rendered pod, run as a container', () => {
  const containers: string[] = [];
  const simulator = `itnio-k8s-simulator-${process.pid}`;
  let dir: string;
  const secretCommands = docCommands('kubectl create secret generic');

  /**
   * GET url from inside the pod's network namespace (the simulator's container), as a probe: its
   * status, or 0. Over HTTPS as the kubelet does it: the certificate is not verified.
   */
  function httpGet(url: string): { status: number; body: string } {
    const script = `fetch(${JSON.stringify(url)}).then(async (r) => console.log(r.status + '\\n' + (await r.text())), () => console.log(0))`;
    // A podman exec can take seconds on a busy machine: a generous limit, not a speed target.
    const noVerify = url.startsWith('https:') ? ['-e', 'NODE_TLS_REJECT_UNAUTHORIZED=0'] : [];
    const out = podmanOk(['exec', ...noVerify, simulator, 'node', '--no-warnings', '-e', script], 60_000);
    const [status, ...body] = out.split('\n');
    return { status: Number(status), body: body.join('\n') };
  }

  const passes = (container: Container, probe: Container['readinessProbe']): boolean => {
    const { status } = httpGet(probeUrl(container, probe));
    return status >= 200 && status < 400;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-k8s-pod-'));
    await buildImage(BASE, IMAGE);
    podmanOk([
      'run',
      '-d',
      '--name',
      simulator,
      '--network=none',
      '--read-only',
      '--cap-drop=all',
      '--entrypoint',
      'node',
      IMAGE,
      'dist/simulator/main.js',
      '--listen',
      `127.0.0.1:${SIMULATOR_PORT}`,
    ]);
    containers.push(simulator);
    await eventually(
      () => (httpGet(`http://127.0.0.1:${SIMULATOR_PORT}/`).status > 0 ? true : undefined),
      'the simulator container',
      20_000,
    );
  }, 600_000);

  afterAll(() => {
    for (const name of containers.reverse()) podman(['rm', '-f', '-t', '0', name]);
    if (podman(['image', 'exists', IMAGE]).status === 0) podman(['rmi', '-f', IMAGE]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the docs create the two Secrets the manifests expect', () => {
    expect(secretCommands).toHaveLength(2);
    for (const command of secretCommands) {
      expect(command.slice(0, 7)).toEqual([
        'kubectl',
        'create',
        'secret',
        'generic',
        'itniotech-exporter',
        '--namespace',
        'monitoring',
      ]);
    }
  });

  /**
   * Runs the Deployment's container of `objects` with `secret`, checks that its probes pass, that it
   * serves a balance for each of `accounts`, and what the kubelet would have given it; returns its name.
   */
  async function runPod(
    label: string,
    objects: K8sObject[],
    secretOrSecrets: SecretObject | SecretObject[],
    accounts: string[],
    extraEnv: Record<string, string> = {},
  ) {
    const secrets = new Map([secretOrSecrets].flat().map((s) => [s.metadata.name, s]));
    const pod: PodSpec = structuredClone(deploymentSpec(objects).template.spec);
    const [container] = pod.containers as [Container];
    // As `kubectl set env` would add them.
    for (const [name, value] of Object.entries(extraEnv)) container.env = [...(container.env ?? []), { name, value }];
    // The manifest itself talks to the real API.
    expect(container.env?.map((e) => e.name)).not.toContain('ITNIO_BASE_URL');

    const volumeDirs = new Map<string, string>();
    for (const volume of pod.volumes ?? []) {
      const secret = secrets.get(volume.secret?.secretName ?? '');
      if (!secret) throw new Error(`volume ${volume.name}: no such Secret in this test`);
      const fsGroup = pod.securityContext?.fsGroup as number | undefined;
      volumeDirs.set(volume.name, secretVolumeDir(join(dir, label, volume.name), volume, secret, fsGroup));
    }
    const { options, args } = podmanRunArgs(pod, container, secrets, volumeDirs);
    const name = `itnio-k8s-${label}-${process.pid}`;
    // The pod of a test that failed before its end would still hold the port: one pod at a time.
    const earlier = containers.filter((c) => c !== simulator);
    if (earlier.length > 0) podman(['rm', '-f', '-t', '0', ...earlier]);
    podmanOk([
      'run',
      '-d',
      '--name',
      name,
      `--network=container:${simulator}`,
      ...options,
      '-e',
      `ITNIO_BASE_URL=http://127.0.0.1:${SIMULATOR_PORT}/sms`,
      IMAGE,
      ...args,
    ]);
    containers.push(name);

    /** Waits for a probe to pass; fails at once, with the container's log, once the container has exited. */
    const probePasses = async (probe: Container['readinessProbe'], what: string, timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const running = podmanOk(['inspect', '--format', '{{.State.Running}}', name]) === 'true';
        if (running && passes(container, probe)) return;
        if (!running || Date.now() > deadline) {
          const logs = podman(['logs', name]);
          throw new Error(
            `the ${what} probe of ${name} ${running ? 'did not pass in time' : 'cannot pass: it exited'}; its log:\n${logs.stdout}${logs.stderr}`,
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const startup = container.startupProbe;
    const allowanceMs = (startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3) * 1000;
    await probePasses(startup, 'start-up', Math.min(allowanceMs, 30_000));
    await probePasses(container.readinessProbe, 'readiness', 20_000);
    expect(passes(container, container.livenessProbe)).toBe(true);

    const scheme = container.readinessProbe?.httpGet?.scheme;
    const metricsUrl = probeUrl(container, { httpGet: { path: '/metrics', port: 'metrics', scheme } });
    const samples = parseSamples(httpGet(metricsUrl).body);
    for (const account of accounts) {
      expect({ account, up: samples.get(`itniotech_up{account="${account}"}`) }).toEqual({ account, up: 1 });
      expect(samples.get(`itniotech_balance{account="${account}"}`)).toBeGreaterThan(0);
    }
    expect([...samples.keys()].filter((k) => k.startsWith('itniotech_up{')).sort()).toEqual(
      accounts.map((a) => `itniotech_up{account="${a}"}`).sort(),
    );

    // What the kubelet would have given it: user, groups, no privileges, read-only root, the memory limit.
    const status = podmanOk(['exec', name, 'cat', '/proc/1/status']);
    const context = { ...pod.securityContext, ...container.securityContext };
    expect(status).toMatch(new RegExp(`^Uid:\\t${context.runAsUser}\\t`, 'm'));
    expect(status).toMatch(new RegExp(`^Gid:\\t${context.runAsGroup}\\t`, 'm'));
    expect(status).toMatch(new RegExp(`^Groups:.*\\b${context.fsGroup}\\b`, 'm'));
    expect(status).toMatch(/^CapEff:\t0{16}$/m);
    expect(status).toMatch(/^NoNewPrivs:\t1$/m);
    expect(status).toMatch(/^Seccomp:\t2$/m);
    expect(podmanOk(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Memory}}', name])).toBe(
      `true ${memoryBytes(container.resources?.limits?.memory ?? '0')}`,
    );
    for (const path of ['/app/x', '/tmp/x']) expect(podman(['exec', name, 'touch', path]).status).not.toBe(0);
    // The API secret reached it as a file, and is in no variable of its environment.
    const environ = podmanOk(['exec', name, 'cat', '/proc/1/environ']).split('\0');
    for (const env of container.env ?? [])
      if (env.value !== undefined) expect(environ).toContain(`${env.name}=${env.value}`);
    for (const account of DEMO_ACCOUNTS) expect(environ.join('\n')).not.toContain(account.apiSecret);
    return { name, container, pod, samples };
  }

  async function stopsGracefully(name: string, pod: PodSpec): Promise<void> {
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    const started = Date.now();
    podmanOk(['stop', '-t', String(grace), name], (grace + 10) * 1000);
    expect(Date.now() - started).toBeLessThan(grace * 1000);
    expect(podmanOk(['inspect', '--format', '{{.State.ExitCode}}', name])).toBe('0');
  }

  test('one account: the base, with the Secret of the docs', async () => {
    const secret = docSingleSecret(secretCommands, join(dir, 'secret-single'));
    const { name, pod } = await runPod('single', render(KUBERNETES), secret, ['default']);
    await stopsGracefully(name, pod);
  }, 90_000);

  test('several accounts: examples/accounts-file, with the accounts file and Secret of the docs', async () => {
    const { secret, names } = docSeveralSecret(secretCommands, join(dir, 'secret-several'));
    const { name, pod } = await runPod('several', render(join(KUBERNETES, 'examples', 'accounts-file')), secret, names);
    await stopsGracefully(name, pod);
  }, 90_000);

  test("the docs' test alert: the threshold it sets is above the balance, so ItniotechBalanceLow's condition holds", async () => {
    const [command] = docCommands(
      'kubectl --namespace monitoring set env deployment/itniotech-exporter ITNIO_LOW_BALANCE_THRESHOLD=',
    );
    const [variable, value] = (command?.at(-1) ?? '').split('=') as [string, string];
    const marketing = demo('marketing');
    const secret = docSecret(
      secretCommands.find((c) => c.includes('--from-file=api-key=api-key')) ?? [],
      { 'api-key': marketing.apiKey, 'api-secret': marketing.apiSecret },
      join(dir, 'secret-alert'),
    );
    const { name, pod, samples } = await runPod('alert', render(KUBERNETES), secret, ['default'], {
      [variable]: value,
    });
    // The pods share one network namespace (the simulator's): the next one needs the port.
    await stopsGracefully(name, pod);
    const threshold = samples.get('itniotech_balance_low_threshold{account="default"}');
    expect(threshold).toBe(Number(value));
    expect(samples.get('itniotech_balance{account="default"}')).toBeLessThan(threshold as number);
    const rules = parseAllDocuments(
      readFileSync(join(KUBERNETES, 'base', 'prometheusrule.yaml'), 'utf8'),
    )[0]?.toJS() as {
      spec: { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> };
    };
    const low = rules.spec.groups.flatMap((g) => g.rules).find((r) => r.alert === 'ItniotechBalanceLow');
    expect(low?.expr.trim()).toBe('itniotech_balance < itniotech:balance_low_threshold:effective');
  }, 90_000);

  /** The chart's `helm test` hook, run as its pod asks, in the exporter's network namespace: its exit code. */
  function helmTestHook(objects: K8sObject[], label: string): number {
    const pod = only(objects, 'Pod').spec as PodSpec;
    const [container] = pod.containers as [Container];
    const { options, args } = podmanRunArgs(pod, container, new Map(), new Map());
    const name = `itnio-k8s-${label}-hook-${process.pid}`;
    containers.push(name);
    const hosts = join(dir, 'hosts');
    writeFileSync(hosts, `127.0.0.1 localhost\n127.0.0.1 ${SERVICE_HOST}\n`);
    const run = podman(
      [
        'run',
        '--name',
        name,
        `--network=container:${simulator}`,
        '-v',
        `${hosts}:/etc/hosts:ro`,
        ...options,
        IMAGE,
        ...args,
      ],
      60_000,
    );
    if (run.status !== 0) console.log(`helm test hook ${name} exited with ${run.status}: ${run.stdout}${run.stderr}`);
    return run.status as number;
  }

  chartTest(
    'the chart, one account: the Secret of the docs (api-key and api-secret entries); helm test passes',
    async () => {
      requireHelm();
      const secret = docSingleSecret(secretCommands, join(dir, 'secret-chart-single'));
      const objects = helmTemplate();
      const { name, pod } = await runPod('chart-single', objects, secret, ['default']);
      expect(helmTestHook(objects, 'chart-single')).toBe(0);
      await stopsGracefully(name, pod);
      // With the exporter gone, the hook fails.
      expect(helmTestHook(objects, 'chart-single-stopped')).not.toBe(0);
    },
    120_000,
  );

  chartTest(
    'the chart, several accounts, TLS on (webConfig.tls): the HTTPS probes pass; helm test passes with no Secret',
    async () => {
      requireHelm();
      const { secret, names } = docSeveralSecret(secretCommands, join(dir, 'secret-chart-several'));
      const pki = createTestPki();
      try {
        const web = '/etc/itniotech-exporter/web';
        const webSecret: SecretObject = {
          metadata: { name: 'itniotech-exporter-web' },
          data: Object.fromEntries(
            Object.entries({
              'web-config.yml': `tls_server_config:\n  cert_file: ${web}/tls.crt\n  key_file: ${web}/tls.key\n`,
              'tls.crt': pki.read(pki.serverCert),
              'tls.key': pki.read(pki.serverKey),
            }).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
          ),
        };
        const objects = helmTemplate([
          '--set',
          'accountsFile.enabled=true',
          '--set',
          `webConfig.existingSecret=${webSecret.metadata.name}`,
          '--set',
          'webConfig.tls=true',
        ]);
        const [container] = deploymentSpec(objects).template.spec.containers as [Container];
        expect(container.readinessProbe?.httpGet?.scheme).toBe('HTTPS');
        // runPod waits for the start-up and readiness probes over HTTPS and reads /metrics the same way.
        const { name, pod } = await runPod('chart-several', objects, [secret, webSecret], names);
        expect(helmTestHook(objects, 'chart-several')).toBe(0);
        await stopsGracefully(name, pod);
      } finally {
        pki.remove();
      }
    },
    120_000,
  );
});
