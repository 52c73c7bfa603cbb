/** podman for the tests that build and run the image (test/image, test/kubernetes, test/systemd). */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './exporter-process';
import { makeSelfSignedCert } from './tls-fixture';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function podman(args: string[], timeoutMs = 60_000): Run {
  const result = spawnSync('podman', args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function podmanOk(args: string[], timeoutMs?: number): string {
  const run = podman(args, timeoutMs);
  if (run.status !== 0)
    throw new Error(`podman ${args.join(' ')} exited with ${run.status}:\n${run.stderr.slice(-3000)}`);
  return run.stdout.trim();
}

/**
 * podman build of the Dockerfile from `base` (the stand-in of node:24-bookworm-slim). Every test
 * builds with these same arguments, so the second build in a run finds every layer of the build
 * stages in podman's cache. The proxy CA (NODE_EXTRA_CA_CERTS) reaches `npm ci` as a build
 * secret only. Asynchronous, so that jest's timers keep running; the output is in the error.
 */
export function buildImage(base: string, tag: string): Promise<void> {
  const args = ['build', '--format', 'docker', '--network=host', '--build-arg', `NODE_IMAGE=${base}`, '-t', tag];
  args.push('--secret', `id=npm_ca,src=${buildCa().file}`);
  const child = spawn('podman', [...args, ROOT], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (c: string) => output.push(c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => output.push(c));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`podman build exited with ${code}:\n${output.join('').slice(-4000)}`)),
    );
  });
}

export interface BuildCa {
  /** The file handed to the build as its npm_ca secret. */
  file: string;
  /** The control certificate in it (PEM). */
  control: string;
}

let buildCaOnce: BuildCa | undefined;

/**
 * The CA file every build gets as its npm_ca secret: the proxy's CA (NODE_EXTRA_CA_CERTS) when
 * there is one, and always a control certificate made for this run, so that the image test can
 * look for a CA that certainly went into the build, behind a proxy or not. Removed at exit.
 */
export function buildCa(): BuildCa {
  if (buildCaOnce) return buildCaOnce;
  const dir = mkdtempSync(join(tmpdir(), 'itnio-build-ca-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const control = readFileSync(makeSelfSignedCert(dir).certFile, 'utf8');
  const proxy = process.env.NODE_EXTRA_CA_CERTS ? readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8') : '';
  const file = join(dir, 'build-ca.pem');
  writeFileSync(file, `${proxy.trimEnd()}\n${control}`);
  buildCaOnce = { file, control };
  return buildCaOnce;
}
