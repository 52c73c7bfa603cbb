import { ConfigError, loadConfig, type ExporterConfig } from '../../src/config/config';
import { loadWebConfig } from '../../src/config/web-config';
import { parseYamlFile } from '../../src/config/yaml-file';

const FILE = '/etc/itnio/accounts.yml';

function load(text: string): ExporterConfig | string[] {
  try {
    const command = loadConfig({
      argv: [`--config.file=${FILE}`],
      env: {},
      readFile: (path) => {
        if (path !== FILE) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        return text;
      },
    });
    return (command as { config: ExporterConfig }).config;
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('YAML merge keys ("<<") (item 10)', () => {
  test('accounts can share settings through an anchor and merge keys; keys given win', () => {
    const config = load(`accounts:
  - &shared
    name: marketing
    api_key: bDqJFiq9
    api_secret: first-secret
    base_url: https://eu.example.test/sms
    low_balance_threshold: 100
  - <<: *shared
    name: otp
    api_secret: second-secret
  - <<: [*shared]
    name: alerts
    low_balance_threshold: 5
`) as ExporterConfig;
    expect(config.accounts).toEqual([
      {
        name: 'marketing',
        apiKey: 'bDqJFiq9',
        apiSecret: 'first-secret',
        baseUrl: 'https://eu.example.test/sms',
        lowBalanceThreshold: 100,
      },
      {
        name: 'otp',
        apiKey: 'bDqJFiq9',
        apiSecret: 'second-secret',
        baseUrl: 'https://eu.example.test/sms',
        lowBalanceThreshold: 100,
      },
      {
        name: 'alerts',
        apiKey: 'bDqJFiq9',
        apiSecret: 'first-secret',
        baseUrl: 'https://eu.example.test/sms',
        lowBalanceThreshold: 5,
      },
    ]);
  });

  test('the web config file takes them too', () => {
    const hash = '$2y$10$' + 'a'.repeat(53);
    const merged = loadWebConfig(
      '/etc/itnio/web.yml',
      () => `basic_auth_users:\n  <<: {alice: '${hash}'}\n  bob: '${hash}'\n`,
    );
    expect(merged.problems).toEqual([]);
    expect([...(merged.config?.users.keys() ?? [])].sort()).toEqual(['alice', 'bob']);
  });

  test('a merge key whose value is not a mapping is refused, naming the file', () => {
    expect(parseYamlFile(FILE, 'accounts:\n  - <<: 5\n    name: a\n')).toEqual({
      ok: false,
      problems: [`${FILE}: cannot be read as data: Merge sources must be maps or map aliases`],
    });
  });
});
