/**
 * deploy/systemd/itniotech-exporter.service under a real systemd: a podman container whose init
 * is systemd (ITNIO_TEST_SYSTEMD_IMAGE; CI builds one with .ci/systemd-base) runs the unit as
 * written, but for ExecStart, which points at the exporter built here and the node running
 * this test (both mounted read-only). The API secret arrives as a credential only; the service
 * polls the simulator, runs as a dynamic user without capabilities, and stops on request.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { describeUnlessMissing, hasBinary } from '../support/binaries';
import { eventually, ROOT } from '../support/exporter-process';
import { freePort } from '../support/ports';
import { parseSamples } from '../support/prom-text';

const IMAGE = process.env.ITNIO_TEST_SYSTEMD_IMAGE;
const UNIT = 'itniotech-exporter.service';
const NAME = `itnio-systemd-${process.pid}`;
const ACCOUNT = {
  apiKey: 'sysdKey2',
  apiSecret: 'a-secret-for-systemd-only',
  balance: 777,
  gift: 0,
  credit: 0,
  spendPerHour: 0,
};

function podman(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('podman', args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
}
const inside = (command: string): string => podman(['exec', NAME, 'sh', '-c', command]).stdout;

const missing: string[] = [];
if (!hasBinary('podman')) missing.push('podman not installed');
if (!IMAGE)
  missing.push('ITNIO_TEST_SYSTEMD_IMAGE not set (an image whose /sbin/init is systemd: see .ci/systemd-base)');

describeUnlessMissing(missing, `${UNIT} under systemd`, () => {
  let dir: string;
  let simulator: Simulator;
  let port: number;

  beforeAll(async () => {
    simulator = await startSimulator({ accounts: [ACCOUNT] });
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'itnio-under-systemd-'));
    const etc = join(dir, 'etc');
    mkdirSync(join(etc, 'itniotech-exporter', 'secrets'), { recursive: true, mode: 0o700 });
    writeFileSync(join(etc, 'itniotech-exporter', 'secrets', 'api_secret'), ACCOUNT.apiSecret);
    writeFileSync(
      join(etc, 'itniotech-exporter', 'itniotech-exporter.env'),
      `ITNIO_API_KEY=${ACCOUNT.apiKey}\nITNIO_BASE_URL=${simulator.baseUrl}\nITNIO_LISTEN_ADDRESS=127.0.0.1:${port}\nITNIO_POLL_INTERVAL=1s\n`,
    );
    const system = join(etc, 'systemd', 'system');
    mkdirSync(join(system, `${UNIT}.d`), { recursive: true });
    mkdirSync(join(system, 'multi-user.target.wants'));
    symlinkSync(`/etc/systemd/system/${UNIT}`, join(system, 'multi-user.target.wants', UNIT));
    writeFileSync(
      join(system, `${UNIT}.d`, 'exec-start.conf'),
      '[Service]\nExecStart=\nExecStart=/opt/node/bin/node /opt/itniotech-exporter/dist/main.js\n',
    );

    const create = podman([
      'create',
      '--name',
      NAME,
      '--systemd=always',
      '--network=host',
      '-v',
      `${ROOT}:/opt/itniotech-exporter:ro`,
      '-v',
      `${dirname(process.execPath)}:/opt/node/bin:ro`,
      IMAGE as string,
      '/sbin/init',
    ]);
    if (create.status !== 0) throw new Error(`podman create: ${create.stderr}`);
    copyFileSync(join(ROOT, 'deploy', 'systemd', UNIT), join(system, UNIT));
    for (const [from, to] of [
      [join(etc, 'itniotech-exporter'), '/etc/'],
      [`${system}/.`, '/etc/systemd/system/'],
    ]) {
      const copy = podman(['cp', from as string, `${NAME}:${to}`]);
      if (copy.status !== 0) throw new Error(`podman cp ${from}: ${copy.stderr}`);
    }
    const start = podman(['start', NAME]);
    if (start.status !== 0) throw new Error(`podman start: ${start.stderr}`);
  }, 120_000);

  afterAll(async () => {
    podman(['rm', '-f', '-t', '0', NAME]);
    await simulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('starts, and serves the balance it polled with the credential', async () => {
    const samples = await eventually(
      async () => {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .catch(() => '');
        return parseSamples(text).get('itniotech_up{account="default"}') === 1 ? parseSamples(text) : undefined;
      },
      `the ${UNIT} to serve a balance (${inside(`systemctl status ${UNIT} --no-pager; journalctl -u ${UNIT} --no-pager | tail -5`)})`,
      40_000,
    );
    expect(samples.get('itniotech_balance{account="default"}')).toBe(777);
  }, 60_000);

  test('runs as a dynamic user, without capabilities, under seccomp; the secret is only in the credential', () => {
    const pid = inside(`systemctl show -p MainPID --value ${UNIT}`);
    const status = inside(`cat /proc/${pid}/status`);
    const uid = Number(/^Uid:\t(\d+)/m.exec(status)?.[1]);
    // systemd's dynamic users: 61184-65519.
    expect(uid).toBeGreaterThanOrEqual(61184);
    expect(uid).toBeLessThanOrEqual(65519);
    expect(status).toMatch(/^CapEff:\t0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\t1$/m);
    expect(status).toMatch(/^Seccomp:\t2$/m);
    const environ = inside(`tr '\\0' '\\n' < /proc/${pid}/environ`);
    expect(environ).toContain(`ITNIO_API_SECRET_FILE=/run/credentials/${UNIT}/itnio_api_secret`);
    expect(environ).not.toContain(ACCOUNT.apiSecret);
    expect(inside(`cat /run/credentials/${UNIT}/itnio_api_secret`)).toBe(ACCOUNT.apiSecret);
  });

  test('systemd-analyze security rates the running unit 2.0 or lower', () => {
    const exposure = /Overall exposure level for \S+: ([\d.]+)/.exec(
      inside(`systemd-analyze security ${UNIT} --no-pager`),
    );
    console.log(`systemd-analyze security (online, under systemd): exposure ${exposure?.[1]}`);
    expect(Number(exposure?.[1])).toBeLessThanOrEqual(2.0);
  });

  test('SIGHUP (systemctl kill -s HUP) reloads it; systemctl stop stops it', () => {
    inside(`systemctl kill -s HUP ${UNIT}`);
    // Waits for the reload's log line (up to 30 s), then counts: exactly one reload.
    const reloaded = `journalctl -u ${UNIT} -o cat --no-pager | grep -c 'configuration reloaded'`;
    expect(inside(`for i in $(seq 150); do [ "$(${reloaded})" -ge 1 ] && break; sleep 0.2; done; ${reloaded}`)).toBe(
      '1',
    );
    const started = Date.now();
    inside(`systemctl stop ${UNIT}`);
    // Stopped by SIGTERM: well before the unit's TimeoutStopSec=15s would SIGKILL it.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(inside(`systemctl is-active ${UNIT}`)).toBe('inactive');
  });
});
