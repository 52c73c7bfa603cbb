import { spawnSync } from 'node:child_process';
import { testWithBinaries } from '../support/binaries';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { loadWebConfig } from '../../src/config/web-config';
import { createTestPki, HTPASSWD_HASH, type TestPki } from '../support/certs';

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.remove());

/** Reads the real certificate files, and `web.yml` from the given text. */
function load(yaml: string): ReturnType<typeof loadWebConfig> {
  const file = join(pki.dir, 'web.yml');
  return loadWebConfig(file, (path) => (path === file ? yaml : readFileSync(path, 'utf8')));
}

const TLS = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';

describe('loadWebConfig', () => {
  it('accepts TLS with client certificates and an htpasswd ($2y$) user, resolving paths against the file', () => {
    const result = load(
      `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  min_version: TLS13\nbasic_auth_users:\n  alice: '${HTPASSWD_HASH}'\n`,
    );
    expect(result.problems).toEqual([]);
    const config = result.config!;
    expect(config.tls).toMatchObject({
      certFile: pki.serverCert,
      keyFile: pki.serverKey,
      clientCaFile: pki.caCert,
      clientAuthType: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
    });
    expect([...config.users.keys()]).toEqual(['alice']);
    expect(config.warnings).toEqual([]);
  });

  it('treats an empty file as no TLS and no users', () => {
    expect(load('')).toEqual({
      config: { file: join(pki.dir, 'web.yml'), users: new Map(), headers: {}, http2: true, warnings: [] },
      problems: [],
    });
  });

  it('warns when passwords would travel without TLS', () => {
    const result = load(`basic_auth_users:\n  alice: '${HTPASSWD_HASH}'\n`);
    expect(result.config?.warnings).toEqual([expect.stringMatching(/basic_auth_users without tls_server_config/)]);
  });

  it.each([
    ['unknown top-level key', 'tls_config: {}\n', /unknown key "tls_config"/],
    ['unknown TLS key', `${TLS}  certfile: x\n`, /tls_server_config: unknown key "certfile"/],
    [
      'client_auth_type',
      `${TLS}  client_auth_type: Sometimes\n`,
      /client_auth_type: "Sometimes" is not valid; expected one of NoClientCert, /,
    ],
    [
      'min_version',
      `${TLS}  min_version: SSL3\n`,
      /min_version: "SSL3" is not valid; expected one of TLS10, TLS11, TLS12, TLS13/,
    ],
    ['min above max', `${TLS}  min_version: TLS13\n  max_version: TLS12\n`, /min_version: higher than max_version/],
    ['missing key_file', 'tls_server_config:\n  cert_file: server.crt\n', /key_file: missing/],
    [
      'missing cert_file',
      'tls_server_config:\n  client_auth_type: RequireAnyClientCert\n  key_file: server.key\n',
      /cert_file: missing/,
    ],
    [
      'unreadable cert',
      'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n',
      /cert_file: cannot read ".*nope\.crt" \(ENOENT\)/,
    ],
    [
      'key of another certificate',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n',
      /cert_file and key_file do not match: the key is not the certificate’s key/,
    ],
    [
      'CA without auth type',
      `${TLS}  client_ca_file: ca.crt\n`,
      /client_ca_file: client CAs are set but client_auth_type is not set/,
    ],
    [
      'CA with NoClientCert',
      `${TLS}  client_auth_type: NoClientCert\n  client_ca_file: ca.crt\n`,
      /client_ca_file: client CAs are set but client_auth_type is NoClientCert/,
    ],
    ['users not a mapping', 'basic_auth_users: [alice]\n', /basic_auth_users: expected a mapping/],
    [
      'user name with a colon',
      `basic_auth_users:\n  "a:b": '${HTPASSWD_HASH}'\n`,
      /basic_auth_users\."a:b": a user name must be non-empty and without ":"/,
    ],
    ['malformed YAML', 'tls_server_config: [\n', /web\.yml: malformed YAML/],
  ])('refuses %s, naming the key', (_name, yaml, expected) => {
    const result = load(yaml);
    expect(result.config).toBeUndefined();
    expect(result.problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it('refuses a plain password in place of a hash without repeating it', () => {
    const result = load('basic_auth_users:\n  alice: hunter2-plain\n  bob: $2y$03$tooCheapAndTooShort\n');
    expect(result.problems).toHaveLength(2);
    expect(result.problems[0]).toMatch(/basic_auth_users\."alice": expected a bcrypt hash .*htpasswd -nBC 10/);
    expect(result.problems.join('\n')).not.toMatch(/hunter2|tooCheap/);
  });

  it('reports every problem at once', () => {
    const result = load(
      `${TLS}  client_auth_type: Sometimes\n  max_version: TLS9\nhttp_server_config: {h2c: 1}\nbasic_auth_users:\n  alice: plain\n`,
    );
    expect(result.problems).toHaveLength(4);
  });
});

describe('--web.config.file in loadConfig', () => {
  const env = { ITNIO_API_KEY: 'key', ITNIO_API_SECRET: 'secret' };

  it('is read from the flag or ITNIO_WEB_CONFIG_FILE and its problems name the source', () => {
    const file = join(pki.dir, 'bad-web.yml');
    writeFileSync(file, 'http_server_config: {http3: true}\n');
    const readFile = (path: string): string => readFileSync(path, 'utf8');
    for (const [argv, source] of [
      [[`--web.config.file=${file}`], '--web.config.file'],
      [[], 'ITNIO_WEB_CONFIG_FILE'],
    ] as const) {
      let error: unknown;
      try {
        loadConfig({ argv, env: { ...env, ITNIO_WEB_CONFIG_FILE: file }, readFile });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        `${source}: ${file}: http_server_config: unknown key "http3"; expected http2, headers`,
      ]);
    }
  });

  it.each([
    [['--web.enable-lifecycle'], {}, true],
    [['--web.enable-lifecycle=false'], {}, false],
    [[], { ITNIO_WEB_ENABLE_LIFECYCLE: 'true' }, true],
    [[], {}, false],
  ])('parses --web.enable-lifecycle from %j %j', (argv, extraEnv, expected) => {
    const command = loadConfig({ argv, env: { ...env, ...extraEnv }, readFile: () => '' });
    expect(command.kind === 'run' && command.config.webEnableLifecycle).toBe(expected);
  });

  it('refuses --web.enable-lifecycle=yes', () => {
    expect(() => loadConfig({ argv: ['--web.enable-lifecycle=yes'], env, readFile: () => '' })).toThrow(
      /--web.enable-lifecycle: "yes" is not valid; expected true or false/,
    );
  });
});

describe('examples/web-config.yml', () => {
  /** The example beside certificate files with the names it uses, as an operator would deploy it. */
  function deployExample(): string {
    copyFileSync(pki.serverCert, join(pki.dir, 'exporter.crt'));
    copyFileSync(pki.serverKey, join(pki.dir, 'exporter.key'));
    copyFileSync(pki.caCert, join(pki.dir, 'prometheus-clients-ca.crt'));
    const file = join(pki.dir, 'web-config.yml');
    copyFileSync(join(__dirname, '../../examples/web-config.yml'), file);
    return file;
  }

  it('is accepted by the exporter', () => {
    const file = deployExample();
    const result = loadWebConfig(file, (path) => readFileSync(path, 'utf8'));
    expect(result.problems).toEqual([]);
    expect(result.config?.tls?.clientAuthType).toBe('RequireAndVerifyClientCert');
    expect(result.config?.users.has('prometheus')).toBe(true);
  });

  testWithBinaries(['promtool'], 'is accepted by promtool check web-config', () => {
    const file = deployExample();
    const run = spawnSync('promtool', ['check', 'web-config', file], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`).toMatch(/SUCCESS/);
    expect(run.status).toBe(0);
  });

  testWithBinaries(['promtool'], 'agrees with promtool that a broken file is broken', () => {
    const file = join(pki.dir, 'broken-web.yml');
    writeFileSync(
      file,
      'tls_server_config:\n  cert_file: exporter.crt\n  key_file: exporter.key\n  client_auth_type: Sometimes\n',
    );
    deployExample();
    expect(spawnSync('promtool', ['check', 'web-config', file]).status).not.toBe(0);
    expect(loadWebConfig(file, (path) => readFileSync(path, 'utf8')).problems).not.toEqual([]);
  });
});
