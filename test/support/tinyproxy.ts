import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './ports';

export interface Tinyproxy {
  /** e.g. http://127.0.0.1:41234, with user:password@ when started with BasicAuth. */
  url: string;
  port: number;
  /** What it logged so far (LogLevel Connect: one line per proxied request or tunnel). */
  log(): string;
  close(): Promise<void>;
}

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

/** Debian's tinyproxy as a real forward proxy on 127.0.0.1, in the foreground, configured in `dir`. */
export async function startTinyproxy(dir: string, auth?: { user: string; password: string }): Promise<Tinyproxy> {
  const port = await freePort();
  const logFile = join(dir, `tinyproxy-${port}.log`);
  const conf = join(dir, `tinyproxy-${port}.conf`);
  writeFileSync(
    conf,
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      'MaxClients 20',
      'Allow 127.0.0.1',
      `LogFile "${logFile}"`,
      'LogLevel Connect',
      'DisableViaHeader Yes',
      ...(auth ? [`BasicAuth ${auth.user} ${auth.password}`] : []),
      '',
    ].join('\n'),
  );
  writeFileSync(logFile, '');
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', conf], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !(await listening(port)); i++) await new Promise((r) => setTimeout(r, 25));
  if (!(await listening(port))) {
    child.kill();
    throw new Error(`tinyproxy did not listen on 127.0.0.1:${port}`);
  }
  const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : '';
  return {
    url: `http://${credentials}127.0.0.1:${port}`,
    port,
    log: () => readFileSync(logFile, 'utf8'),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
