import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { Gauge, Registry } from 'prom-client';
import { MetricsRenderer } from '../../src/metrics/exposition';

function setup(processMaxAgeMs = 1000) {
  let now = 1_700_000_000_000;
  let change = 0;
  const registry = new Registry();
  const gauge = new Gauge({ name: 'itniotech_balance', help: 'Balance.', labelNames: ['account'], registers: [registry] });
  const processRegistry = new Registry();
  let processReads = 0;
  new Gauge({
    name: 'process_reads',
    help: 'How often the process metrics were read.',
    registers: [processRegistry],
    collect() {
      this.set(++processReads);
    },
  });
  const renderer = new MetricsRenderer({ registry, changeCount: () => change }, processRegistry, { processMaxAgeMs, now: () => now });
  const setBalance = (value: number): void => {
    gauge.set({ account: 'shop' }, value);
    change++;
  };
  return { renderer, setBalance, advance: (ms: number) => (now += ms), processReads: () => processReads };
}

describe('MetricsRenderer', () => {
  test('gzip payload is one gzip member holding exactly the identity text', async () => {
    const { renderer, setBalance } = setup();
    setBalance(12.5);
    const identity = await renderer.payload(false);
    const gzip = await renderer.payload(true);
    expect(identity.toString()).toContain('itniotech_balance{account="shop"} 12.5\n');
    expect(identity.toString()).toContain('process_reads 1\n');
    expect(gunzipSync(gzip)).toEqual(identity);
    // One member: the deflate data between header and trailer is the whole text, and the
    // trailer's CRC and length are those of the whole text.
    expect(inflateRawSync(gzip.subarray(10, gzip.length - 8))).toEqual(identity);
    expect(gzip.readUInt32LE(gzip.length - 8)).toBe(crc32(identity));
    expect(gzip.readUInt32LE(gzip.length - 4)).toBe(identity.length);
  });

  test('serves the same bytes until a poll changes the series, then the new values', async () => {
    const { renderer, setBalance } = setup();
    setBalance(1);
    const first = await renderer.payload(true);
    expect(await renderer.payload(true)).toBe(first);
    setBalance(2);
    const second = await renderer.payload(true);
    expect(second).not.toBe(first);
    expect(gunzipSync(second).toString()).toContain('itniotech_balance{account="shop"} 2\n');
    expect(await renderer.render()).toBe(gunzipSync(second).toString());
  });

  test('reads the process metrics at most once per max age', async () => {
    const { renderer, advance, processReads } = setup(1000);
    await Promise.all([renderer.payload(true), renderer.payload(false), renderer.payload(true)]);
    expect(processReads()).toBe(1);
    advance(999);
    await renderer.payload(false);
    expect(processReads()).toBe(1);
    advance(1);
    expect((await renderer.render()).includes('process_reads 2\n')).toBe(true);
  });

  test('a background render after a change leaves the next scrape with the new text, already rendered', async () => {
    let balance = 0;
    let change = 0;
    let renders = 0;
    const renderer = new MetricsRenderer(
      {
        registry: new Registry(),
        changeCount: () => change,
        render: () => {
          renders++;
          return `itniotech_balance{account="shop"} ${balance}\n`;
        },
      },
      new Registry(),
      { renderQuietMs: 0, renderMaxDelayMs: 0 },
    );
    balance = 1;
    change++;
    await renderer.payload(false);
    expect(renders).toBe(1);
    balance = 7;
    change++;
    renderer.sourceChanged();
    for (let i = 0; i < 100 && renders < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(renders).toBe(2);
    expect((await renderer.render()).includes('itniotech_balance{account="shop"} 7\n')).toBe(true);
    // The scrape found the work done.
    expect(renders).toBe(2);
    renderer.close();
  });
});

test('processChanged: a process render already running when it is called is not kept', async () => {
  const processRegistry = new Registry();
  let value = 1;
  let release: () => void = () => undefined;
  let slow = true;
  new Gauge({
    name: 'itniotech_exporter_config_last_reload_successful',
    help: 'Reload outcome.',
    registers: [processRegistry],
    async collect() {
      const seen = value;
      if (slow) await new Promise<void>((resolve) => (release = resolve));
      this.set(seen);
    },
  });
  const renderer = new MetricsRenderer({ registry: new Registry(), changeCount: () => 0 }, processRegistry, { processMaxAgeMs: 60_000 });
  const before = renderer.payload(false);
  await new Promise((r) => setImmediate(r));
  value = 0;
  renderer.processChanged();
  slow = false;
  release();
  expect((await before).toString()).toContain('itniotech_exporter_config_last_reload_successful 1\n');
  expect(await renderer.render()).toContain('itniotech_exporter_config_last_reload_successful 0\n');
});
