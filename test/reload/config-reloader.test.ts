import { Registry } from 'prom-client';
import { ConfigError, type ExporterConfig } from '../../src/config/config';
import { createLogger } from '../../src/log/logger';
import { MetricsRenderer } from '../../src/metrics/exposition';
import { ConfigReloader } from '../../src/reload/config-reloader';
import { sampleValue } from '../support/prom-text';
import { ACCOUNT_A, loadRunConfig } from '../support/exporter-harness';

/**
 * The reload gauges are derived from the reloader's own state and it is a metrics source of its
 * own: an exposition over it shows each reload's outcome with no call but the reload.
 */
describe('the reload gauges', () => {
  const OK = 'itniotech_exporter_config_last_reload_successful';
  const AT = 'itniotech_exporter_config_last_reload_success_timestamp_seconds';

  test('show the outcome of each reload at the next render, with nothing told but the reload', async () => {
    const config = loadRunConfig([], {
      ITNIO_API_KEY: ACCOUNT_A.apiKey,
      ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
    });
    let now = 1_700_000_000_000;
    let next: () => ExporterConfig = () => config;
    const reloader = new ConfigReloader({
      initial: config,
      load: () => next(),
      targets: {
        accounts: () => config.accounts,
        setAccounts: () => ({ added: [], replaced: [] }),
        setWebConfig: () => undefined,
      },
      logger: createLogger('silent'),
      now: () => now,
    });
    // Process metrics cached for a minute and scrapes far apart from rebuilds: only the reload's change can show it.
    const renderer = new MetricsRenderer(reloader, new Registry(), {
      processMaxAgeMs: 60_000,
      refreshAfterMs: 60_000,
      maxStaleMs: 60_000,
      renderQuietMs: 60_000,
      renderMaxDelayMs: 60_000,
    });
    const start = await renderer.render();
    expect(sampleValue(start, OK)).toBe(1);
    expect(sampleValue(start, AT)).toBe(1_700_000_000);

    next = () => {
      throw new ConfigError(['accounts[0].base_url: "ftp://example" is not valid']);
    };
    now += 5_000;
    expect((await reloader.reload('test')).ok).toBe(false);
    const failed = await renderer.render();
    expect(sampleValue(failed, OK)).toBe(0);
    expect(sampleValue(failed, AT)).toBe(1_700_000_000);

    next = () => config;
    now += 5_000;
    expect((await reloader.reload('test')).ok).toBe(true);
    const succeeded = await renderer.render();
    expect(sampleValue(succeeded, OK)).toBe(1);
    expect(sampleValue(succeeded, AT)).toBe(1_700_000_010);
  });
});
