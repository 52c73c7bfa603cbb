/**
 * The container image, built with podman from the Dockerfile and run as users run it: the
 * simulator and the exporter, read-only and without capabilities. The base is
 * ITNIO_TEST_NODE_IMAGE (CI: a local stand-in of node:24-bookworm-slim, .ci/standin-base), or
 * node:24-bookworm-slim when it is present locally. An HTTPS-intercepting proxy's CA, named by
 * NODE_EXTRA_CA_CERTS, is handed to the build as a secret, and must not end up in the image.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { DEMO_ACCOUNTS } from '../../src/simulator/demo-accounts';
import { describeUnlessMissing, hasBinary } from '../support/binaries';
import { eventually, ROOT } from '../support/exporter-process';
import { freePort } from '../support/ports';
import { buildCa, buildImage, podman, podmanOk } from '../support/podman';
import { parseSamples } from '../support/prom-text';

const BASE = process.env.ITNIO_TEST_NODE_IMAGE || 'node:24-bookworm-slim';
const IMAGE = `localhost/itniotech-exporter:test-${process.pid}`;
const CA_FILE = process.env.NODE_EXTRA_CA_CERTS;
const DEBIAN_ROOTS = '/usr/share/ca-certificates/mozilla';
const [ACCOUNT] = DEMO_ACCOUNTS;

/** podman build of the Dockerfile from the stand-in base, as every image test builds it. */
const build = (): Promise<void> => buildImage(BASE, IMAGE);

const pemsIn = (text: string): string[] =>
  text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

/**
 * Certificates in the build's CA secret that neither Node nor Debian ships: the proxy's own CA(s),
 * and always the control certificate test/support/podman.ts adds, so there is something to look for.
 */
function buildCaNeedles(): string[] {
  const debian = existsSync(DEBIAN_ROOTS)
    ? readdirSync(DEBIAN_ROOTS).flatMap((f) => pemsIn(readFileSync(join(DEBIAN_ROOTS, f), 'utf8')))
    : [];
  const shipped = new Set([...rootCertificates, ...debian].map((pem) => pem.replace(/\s+/g, '')));
  const pems = pemsIn(readFileSync(buildCa().file, 'utf8'));
  // The second line of base64: past the header bytes every certificate shares.
  return pems.filter((pem) => !shipped.has(pem.replace(/\s+/g, ''))).map((pem) => pem.split('\n')[2] as string);
}

const missing: string[] = [];
if (!hasBinary('podman')) missing.push('podman not installed');
else if (podman(['image', 'exists', BASE]).status !== 0) {
  missing.push(`base image ${BASE} not present (podman pull it, or build the stand-in: see .ci/run)`);
}

describeUnlessMissing(missing, 'the container image', () => {
  const containers: string[] = [];
  let dir: string;
  let simulatorUrl: string;

  /** Starts a detached container of the image, removed after the tests; returns its name. */
  function start(name: string, options: string[], args: string[] = []): string {
    const full = `itnio-${name}-${process.pid}`;
    podmanOk(['run', '-d', '--name', full, '--read-only', '--cap-drop=all', ...options, IMAGE, ...args]);
    containers.push(full);
    return full;
  }

  function exporterOptions(extra: string[] = []): string[] {
    return [
      '-e',
      `ITNIO_ACCOUNT=${ACCOUNT?.name}`,
      '-e',
      `ITNIO_API_KEY=${ACCOUNT?.apiKey}`,
      '-e',
      'ITNIO_API_SECRET_FILE=/run/secrets/itnio_api_secret',
      '-e',
      `ITNIO_BASE_URL=${simulatorUrl}`,
      '-v',
      `${join(dir, 'secret')}:/run/secrets/itnio_api_secret:ro`,
      ...extra,
    ];
  }

  async function healthy(name: string): Promise<void> {
    await eventually(
      () => (podman(['healthcheck', 'run', name]).status === 0 ? true : undefined),
      `HEALTHCHECK of ${name} to pass`,
      20_000,
    );
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-image-'));
    writeFileSync(join(dir, 'secret'), ACCOUNT?.apiSecret ?? '');
    chmodSync(join(dir, 'secret'), 0o444);
    await build();
    const simPort = await freePort();
    simulatorUrl = `http://127.0.0.1:${simPort}/sms`;
    start(
      'simulator',
      ['--network=host', '--entrypoint', 'node'],
      ['dist/simulator/main.js', '--listen', `127.0.0.1:${simPort}`],
    );
    await eventually(
      async () =>
        (await fetch(`${simulatorUrl}/getBalance`, { method: 'POST' }).catch(() => undefined)) ? true : undefined,
      'the simulator container',
      20_000,
    );
  }, 600_000);

  afterAll(() => {
    for (const name of containers) podman(['rm', '-f', '-t', '0', name]);
    if (podman(['image', 'exists', IMAGE]).status === 0) podman(['rmi', '-f', IMAGE]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('is small, runs as uid 1000 and keeps its HEALTHCHECK', () => {
    const [size, user, health] = podmanOk([
      'image',
      'inspect',
      '--format',
      '{{.Size}}|{{.Config.User}}|{{json .Config.Healthcheck}}',
      IMAGE,
    ]).split('|');
    const baseSize = Number(podmanOk(['image', 'inspect', '--format', '{{.Size}}', BASE]));
    const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
    console.log(
      `image ${IMAGE}: ${mb(Number(size))} (base ${BASE}: ${mb(baseSize)}, exporter layers: ${mb(Number(size) - baseSize)})`,
    );
    expect(Number(size) - baseSize).toBeLessThan(40e6);
    expect(user).toBe('1000:1000');
    expect(health).toContain('dist/healthcheck.js');
  });

  test('holds no tests, TypeScript sources, source maps or dev dependencies', () => {
    const files = podmanOk([
      'run',
      '--rm',
      '--network=none',
      '--entrypoint',
      'find',
      IMAGE,
      '/app',
      '-path',
      '/app/node_modules',
      '-prune',
      '-o',
      '-print',
    ]).split('\n');
    expect(files.filter((f) => /\.(ts|map)$|\/(test|src|bench)(\/|$)|tsconfig/.test(f))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        '/app/package.json',
        '/app/dist/main.js',
        '/app/dist/healthcheck.js',
        '/app/examples/demo.yml',
      ]),
    );
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = new Set(
      Object.entries(lock.packages)
        .filter(([, p]) => p.dev)
        .map(([path]) => `/app/${path}`),
    );
    const installed = podmanOk([
      'run',
      '--rm',
      '--network=none',
      '--entrypoint',
      'find',
      IMAGE,
      '/app/node_modules',
      '-name',
      'package.json',
    ])
      .split('\n')
      .map((f) => f.replace(/\/package\.json$/, ''));
    expect(installed.length).toBeGreaterThan(20);
    expect(installed.filter((p) => devOnly.has(p))).toEqual([]);
    expect(installed).toEqual(expect.arrayContaining(['/app/node_modules/prom-client', '/app/node_modules/express']));
  });

  test("holds no trace of the build's proxy CA", () => {
    const needles = buildCaNeedles();
    console.log(
      `CA certificates looked for: ${needles.length} (the control, and ${CA_FILE ?? 'no NODE_EXTRA_CA_CERTS'})`,
    );
    const env = podmanOk(['image', 'inspect', '--format', '{{json .Config.Env}}', IMAGE]);
    expect(env).not.toContain('NODE_EXTRA_CA_CERTS');
    expect(needles).toContain(buildCa().control.split('\n')[2]);
    const needleFile = join(dir, 'needles');
    writeFileSync(needleFile, `${needles.join('\n')}\n`);
    // The positive control: the needles are found where they are.
    expect(spawnSync('grep', ['-qF', '-f', needleFile, buildCa().file]).status).toBe(0);
    const rootfs = join(dir, 'rootfs');
    const container = podmanOk(['create', IMAGE]);
    try {
      podmanOk(['export', '-o', join(dir, 'rootfs.tar'), container], 120_000);
    } finally {
      podman(['rm', container]);
    }
    spawnSync('mkdir', ['-p', rootfs]);
    expect(spawnSync('tar', ['-xf', join(dir, 'rootfs.tar'), '-C', rootfs]).status).toBe(0);
    const found = spawnSync('grep', ['-rlF', '-f', needleFile, rootfs], { encoding: 'utf8' });
    expect(found.stdout.trim()).toBe('');
    expect(found.status).toBe(1);
  }, 180_000);

  test('serves balances read-only and without capabilities, with the secret from a file; SIGTERM stops it', async () => {
    const port = await freePort();
    const name = start('exporter-flag', exporterOptions(['--network=host']), [
      `--web.listen-address=127.0.0.1:${port}`,
      '--poll.interval=1s',
    ]);
    const samples = await eventually(
      async () => {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .catch(() => '');
        const parsed = parseSamples(text);
        return parsed.get(`itniotech_up{account="${ACCOUNT?.name}"}`) === 1 ? parsed : undefined;
      },
      'the exporter container to serve a balance',
      20_000,
    );
    expect(samples.get(`itniotech_balance{account="${ACCOUNT?.name}"}`)).toBeGreaterThan(0);
    expect(podmanOk(['exec', name, 'cat', '/proc/1/status'])).toMatch(/^Uid:\t1000\t1000\t1000\t1000$/m);
    expect(podmanOk(['inspect', '--format', '{{.EffectiveCaps}}', name])).toBe('[]');
    expect(podman(['exec', name, 'touch', '/app/x']).status).not.toBe(0);
    await healthy(name);

    const started = Date.now();
    podmanOk(['stop', '-t', '10', name]);
    const stopMs = Date.now() - started;
    console.log(`SIGTERM to stopped: ${stopMs} ms`);
    expect(stopMs).toBeLessThan(5000);
    expect(podmanOk(['inspect', '--format', '{{.State.ExitCode}}', name])).toBe('0');
  }, 60_000);

  test('HEALTHCHECK passes with the listen address from the environment', async () => {
    const port = await freePort();
    const name = start(
      'exporter-env',
      exporterOptions(['--network=host', '-e', `ITNIO_LISTEN_ADDRESS=127.0.0.1:${port}`]),
    );
    await healthy(name);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  }, 60_000);

  test('HEALTHCHECK passes with the default listen address (:10042, in a network namespace of its own)', async () => {
    const name = start('exporter-default', exporterOptions(['--network=none']));
    await healthy(name);
    // Its own flags and environment name no address: the default it is.
    expect(podmanOk(['inspect', '--format', '{{json .Config.Env}}', name])).not.toContain('ITNIO_LISTEN_ADDRESS');
  }, 60_000);

  test('HEALTHCHECK fails when nothing serves /healthz', async () => {
    const name = start(
      'exporter-wrong',
      exporterOptions(['--network=none', '-e', 'ITNIO_LISTEN_ADDRESS=127.0.0.1:1']),
      ['--web.listen-address=127.0.0.1:10043'],
    );
    await healthy(name);
    podmanOk(['kill', '--signal', 'STOP', name]);
    expect(podman(['healthcheck', 'run', name], 30_000).status).not.toBe(0);
    podmanOk(['kill', '--signal', 'CONT', name]);
  }, 60_000);
});
