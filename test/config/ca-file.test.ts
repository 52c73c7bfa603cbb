import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, readConfigFile, type ExporterConfig } from '../../src/config/config';
import { settingsNeedingRestart } from '../../src/reload/config-reloader';
import { createTestPki, type TestPki } from '../support/certs';

const account = { ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET: 'zz-secret-7bz1lzh9' };
const EXPECTED = 'expected a path to a PEM file of CA certificates';

let pki: TestPki;
const file = (name: string, text: string): string => {
  const path = join(pki.dir, name);
  writeFileSync(path, text);
  return path;
};
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.remove());

function load(caFile: string): ExporterConfig | string[] {
  try {
    const command = loadConfig({ argv: [`--api.ca-file=${caFile}`], env: account, readFile: readConfigFile });
    return (command as { config: ExporterConfig }).config;
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('--api.ca-file must hold CA certificates (item 8)', () => {
  test('one CA certificate, or a bundle of them, is accepted', () => {
    expect(load(pki.caCert)).toMatchObject({ caFile: pki.caCert, warnings: [] });
    const bundle = file('bundle.pem', pki.read(pki.caCert) + pki.read(pki.otherCaCert));
    expect(load(bundle)).toMatchObject({ caFile: bundle, warnings: [] });
  });

  test.each([
    ['an empty file', () => file('empty.pem', ''), 'it holds no PEM certificate ("-----BEGIN CERTIFICATE-----")'],
    [
      'a text file',
      () => file('notes.txt', 'not a certificate\n'),
      'it holds no PEM certificate ("-----BEGIN CERTIFICATE-----")',
    ],
    [
      'a DER certificate',
      () => file('ca.der', readFileSync(pki.caCert, 'utf8').replace(/-----[A-Z ]+-----/g, '')),
      'it holds no PEM certificate ("-----BEGIN CERTIFICATE-----")',
    ],
    ['a private key', () => pki.serverKey, 'it holds a private key and no certificate'],
  ])('%s is refused, naming the flag and the file', (_what, path, why) => {
    const at = path();
    expect(load(at)).toEqual([`--api.ca-file: "${at}" is not valid: ${why}; ${EXPECTED}`]);
  });

  test('a damaged certificate is refused, saying which one', () => {
    const good = pki.read(pki.caCert);
    const damaged = good.replace(/\n([A-Za-z0-9+/]{8})/, '\nAAAAAAAA');
    const at = file('damaged.pem', good + damaged);
    expect(load(at)).toEqual([
      expect.stringMatching(
        new RegExp(`^--api\\.ca-file: "${at}" is not valid: certificate 2 in it cannot be read \\(.+\\); ${EXPECTED}$`),
      ),
    ]);
  });

  test('a private key next to the certificates is accepted with a warning that never shows it', () => {
    const keyText = pki.read(pki.serverKey);
    const at = file('with-key.pem', pki.read(pki.caCert) + keyText);
    const config = load(at) as ExporterConfig;
    expect(config.warnings).toEqual([
      `--api.ca-file: "${at}" also holds a private key; a CA file needs only certificates: keep the key out of it`,
    ]);
    const body = keyText.split('\n')[1] as string;
    expect(JSON.stringify(config.warnings)).not.toContain(body);
  });
});

describe('a changed --api.ca-file on reload', () => {
  test('new certificates in the same file are read again and need no restart (test/reload/reload.test.ts polls with them)', () => {
    const path = file('rotated-ca.pem', pki.read(pki.caCert));
    const before = load(path) as ExporterConfig;
    writeFileSync(path, pki.read(pki.otherCaCert));
    const after = load(path) as ExporterConfig;
    expect(after.caFilePem).not.toBe(before.caFilePem);
    expect(settingsNeedingRestart(before, after)).toEqual([]);
  });
});
