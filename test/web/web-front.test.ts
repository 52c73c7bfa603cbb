/**
 * What a web config asks of every response, on a running exporter: the configured security
 * headers and nosniff, the rate limit's 429, the open probe paths and their Prometheus-style
 * aliases; and serving on several addresses.
 */
import { writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT_A, startHarness, type Harness } from '../support/exporter-harness';
import { HTPASSWD_HASH, HTPASSWD_PASSWORD } from '../support/certs';
import { fetchUrl } from '../support/https-request';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'itnio-web-front-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serve(webYaml: string | undefined, extraArgs: string[] = []): Promise<Harness> {
  const file = join(dir, 'web.yml');
  if (webYaml !== undefined) writeFileSync(file, webYaml);
  return startHarness(
    [ACCOUNT_A],
    (simulator) => [
      ...(webYaml !== undefined ? [`--web.config.file=${file}`] : []),
      `--api.base-url=${simulator.baseUrl}`,
      ...extraArgs,
    ],
    { ITNIO_API_KEY: ACCOUNT_A.apiKey, ITNIO_API_SECRET: ACCOUNT_A.apiSecret },
  );
}

describe('X-Content-Type-Options: nosniff', () => {
  it('is on /metrics, the status page, probes and a 404, without any web config', async () => {
    const h = await serve(undefined);
    try {
      for (const path of ['/metrics', '/', '/healthz', '/-/healthy', '/nope']) {
        const res = await fetchUrl(`${h.exporter.url}${path}`);
        expect([path, res.headers['x-content-type-options']]).toEqual([path, 'nosniff']);
      }
    } finally {
      await h.close();
    }
  });
});

describe('http_server_config.headers', () => {
  it('are sent on every response, and a reload changes them', async () => {
    const h = await serve(
      'http_server_config:\n  headers:\n    X-Frame-Options: deny\n' +
        '    Strict-Transport-Security: max-age=31536000; includeSubDomains\n    X-XSS-Protection: 1\n' +
        `    Content-Security-Policy: "default-src 'self'"\n`,
    );
    try {
      const res = await fetchUrl(`${h.exporter.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers).toMatchObject({
        'x-frame-options': 'deny',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-xss-protection': '1',
        'content-security-policy': "default-src 'self'",
        'x-content-type-options': 'nosniff',
      });
      writeFileSync(join(dir, 'web.yml'), 'http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n');
      expect(await h.exporter.reload('test')).toMatchObject({ ok: true });
      const after = await fetchUrl(`${h.exporter.url}/healthz`);
      expect(after.headers['x-frame-options']).toBe('sameorigin');
      expect(after.headers['content-security-policy']).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});

describe('rate_limit', () => {
  it('answers 429 past the burst, and never on the probe paths', async () => {
    const h = await serve('rate_limit:\n  interval: 1h\n  burst: 3\n');
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetchUrl(`${h.exporter.url}/metrics`)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      for (const path of ['/healthz', '/readyz', '/-/healthy', '/-/ready']) {
        expect([path, (await fetchUrl(`${h.exporter.url}${path}`)).status]).not.toEqual([path, 429]);
      }
    } finally {
      await h.close();
    }
  });

  it('with interval 0 is off', async () => {
    const h = await serve('rate_limit:\n  interval: 0\n  burst: 0\n');
    try {
      for (let i = 0; i < 5; i++) expect((await fetchUrl(`${h.exporter.url}/metrics`)).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('/-/healthy and /-/ready', () => {
  it('answer as /healthz and /readyz do, without credentials while basic auth guards the rest', async () => {
    const h = await serve(`basic_auth_users:\n  alice: '${HTPASSWD_HASH}'\n`);
    try {
      const healthy = await fetchUrl(`${h.exporter.url}/-/healthy`);
      expect([healthy.status, healthy.body]).toEqual([200, 'ok\n']);
      const ready = await fetchUrl(`${h.exporter.url}/-/ready`);
      const readyz = await fetchUrl(`${h.exporter.url}/readyz`);
      expect(ready.status).toBe(readyz.status);
      expect((await fetchUrl(`${h.exporter.url}/metrics`)).status).toBe(401);
      expect((await fetchUrl(`${h.exporter.url}/metrics`, { auth: `alice:${HTPASSWD_PASSWORD}` })).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('--web.listen-address given twice', () => {
  it('serves on IPv4 and IPv6 loopback at once', async () => {
    const h = await serve(undefined, ['--web.listen-address=[::1]:0']);
    try {
      expect(h.exporter.servers).toHaveLength(2);
      const urls = h.exporter.servers.map((s) => {
        const a = s.address() as import('node:net').AddressInfo;
        return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
      });
      expect(urls).toEqual([
        expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        expect.stringMatching(/^http:\/\/\[::1\]:\d+$/),
      ]);
      for (const url of urls) expect((await fetchUrl(`${url}/metrics`)).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});
