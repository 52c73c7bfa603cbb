/**
 * What Prometheus 3 sends and refuses: it asks for OpenMetrics first, and fails a scrape whose
 * Content-Type is missing or invalid. The exporter answers in text format 0.0.4, labelled so.
 * The headers are those Prometheus 3.5.3 sent to a test target here (2.42 sends others).
 */
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { eventually } from '../support/exporter-process';
import { ACCOUNT_A, startHarness, type Harness } from '../support/exporter-harness';

const PROMETHEUS_3_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,' +
  'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
const PROMETHEUS_3_HEADERS = {
  Accept: PROMETHEUS_3_ACCEPT,
  'Accept-Encoding': 'gzip',
  'User-Agent': 'Prometheus/3.5.3+ds1',
  'X-Prometheus-Scrape-Timeout-Seconds': '10',
};

function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe("/metrics, scraped with Prometheus 3's headers", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness([ACCOUNT_A], (s) => [`--api.base-url=${s.baseUrl}`], {
      ITNIO_API_KEY: ACCOUNT_A.apiKey,
      ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
    });
    await eventually(
      async () => ((await fetch(`${harness.exporter.url}/readyz`)).status === 200 ? true : undefined),
      'the first poll',
    );
  });
  afterAll(() => harness.close());

  test.each([
    ['gzip, as Prometheus asks', PROMETHEUS_3_HEADERS],
    ['uncompressed', { ...PROMETHEUS_3_HEADERS, 'Accept-Encoding': 'identity' }],
  ])('answers in text format 0.0.4 with its exact Content-Type (%s)', async (_how, headers) => {
    const answer = await get(`${harness.exporter.url}/metrics`, headers);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const gzipped = headers['Accept-Encoding'] === 'gzip';
    expect(answer.headers['content-encoding']).toBe(gzipped ? 'gzip' : undefined);
    const text = (gzipped ? gunzipSync(answer.body) : answer.body).toString('utf8');
    // Text 0.0.4, not OpenMetrics: no `# EOF`, no `_created` series, counters keep `_total` in TYPE.
    expect(text).not.toMatch(/^# EOF$/m);
    expect(text).not.toMatch(/_created[{ ]/);
    expect(text).toMatch(/^# TYPE itniotech_requests_total counter$/m);
    expect(text).toMatch(/^itniotech_balance\{account="default"\} 100$/m);
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+$/);
    }
  });
});
