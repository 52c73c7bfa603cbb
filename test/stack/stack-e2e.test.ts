/**
 * End to end: the built exporter polls the simulator; a real Prometheus (Debian package)
 * scrapes it with the repo's prometheus.yml and rules; a real Alertmanager with the repo's
 * alertmanager.yml routes to a webhook receiver run here. Only what a test must shorten is
 * changed: addresses, intervals, `for` durations and the 1m spend-rate step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { PROMETHEUS, testWithBinaries } from '../support/binaries';
import { eventually, ROOT, startExporterProcess, type ExporterProcess } from '../support/exporter-process';

const SHOP = { apiKey: 'e2eShop1', apiSecret: 'e2e-secret-shop' };
const OTP = { apiKey: 'e2eOtp22', apiSecret: 'e2e-secret-otp' };
const FLAKY = { apiKey: 'e2eFlk33', apiSecret: 'e2e-secret-flaky' };
const SURGE = { apiKey: 'e2eSrg44', apiSecret: 'e2e-secret-surge' };

interface Notification {
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string>; annotations?: Record<string, string> }>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startDaemon(binary: string, args: string[], log: string[]): ChildProcess {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.setEncoding('utf8').on('data', (c: string) => log.push(c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => log.push(c));
  return child;
}

async function stopDaemon(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

/** The repo's rules with test-sized durations; the expressions stay as they are otherwise. */
function shortenRules(text: string): string {
  return text
    .replace(/^(\s*)for: \S+$/gm, '$1for: 2s')
    .replace(/^(\s*)keep_firing_for: \S+$/gm, '$1keep_firing_for: 1s')
    .replace(/offset 1m/g, 'offset 5s')
    .replace(/\[6h:1m\]/g, '[6h:5s]');
}

/**
 * ItniotechSpendSurge at test scale, after shortenRules (steps of 5 s): the last hour becomes the
 * last 60 s and the last 5 minutes the last 5 s (so "per hour" reads "per minute"), the 7-day
 * normal the 90th percentile of 5 s samples over 10 min, needing 4 of them. Its `for:` stays longer
 * than the 5 s window, as 15m is longer than 5m, so one step (a catch-up) cannot fire it.
 */
function shortenSurgeRules(text: string): string {
  const replace =
    (from: string, to: string, times: number) =>
    (input: string): string => {
      const found = input.split(from).length - 1;
      if (found !== times) {
        throw new Error(`expected ${times} × "${from}" in the rules, found ${found}: update shortenSurgeRules`);
      }
      return input.split(from).join(to);
    };
  const steps = [
    replace('[1h:1m]', '[60s:5s]', 1),
    replace('[5m:1m]', '[5s:5s]', 1),
    replace('[7d:1h]', '[10m:5s]', 2),
    replace(') >= 24', ') >= 4', 1),
  ];
  const shortened = steps.reduce((rules, step) => step(rules), text);
  const start = shortened.indexOf('- alert: ItniotechSpendSurge');
  const end = shortened.indexOf('- alert:', start + 1);
  if (start < 0 || end < 0) throw new Error('ItniotechSpendSurge not found in the rules: update shortenSurgeRules');
  const alert = [replace('for: 2s', 'for: 8s', 1), replace('keep_firing_for: 1s', 'keep_firing_for: 5s', 1)].reduce(
    (rules, step) => step(rules),
    shortened.slice(start, end),
  );
  return shortened.slice(0, start) + alert + shortened.slice(end);
}

describe('the stack: exporter, Prometheus, Alertmanager, dashboard queries', () => {
  let dir: string;
  let simulator: Simulator;
  let exporter: ExporterProcess;
  let prometheus: ChildProcess | undefined;
  let alertmanager: ChildProcess | undefined;
  let webhook: Server;
  const notifications: Notification[] = [];
  const daemonLog: string[] = [];
  let promUrl = '';

  async function query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
    return body.data.result;
  }

  async function firing(alertname: string, account: string): Promise<boolean> {
    return (await query(`ALERTS{alertname="${alertname}",alertstate="firing",account="${account}"}`)).length > 0;
  }

  function notified(alertname: string, account: string, status: 'firing' | 'resolved'): boolean {
    return notifications.some((n) =>
      n.alerts.some((a) => a.status === status && a.labels.alertname === alertname && a.labels.account === account),
    );
  }

  async function setUp(): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'itnio-stack-'));
    simulator = await startSimulator({
      accounts: [
        {
          ...SHOP,
          balance: 500,
          gift: 20,
          credit: 0,
          spendPerHour: 36_000,
          // Rented numbers: one in use due within a week fires ItniotechNumberExpiring.
          numbers: [
            { number: '447700900123', country: 'United Kingdom', type: 'MOBILE', state: 3, dueInDays: 3 },
            { number: '14155550100', country: 'United States', type: 'FIXED', state: 3, dueInDays: 40 },
            { number: '4930901820', country: null, type: null, state: 4, dueInDays: -10 },
          ],
        },
        { ...OTP, balance: 300, gift: 0, credit: 50, spendPerHour: 7200 },
        { ...FLAKY, balance: 1000, gift: 0, credit: 0, spendPerHour: 0, fault: 'http500' },
        { ...SURGE, balance: 100_000, gift: 0, credit: 0, spendPerHour: 3600 },
      ],
    });
    const config = join(dir, 'accounts.yml');
    writeFileSync(
      config,
      stringify({
        accounts: [
          {
            name: 'shop',
            api_key: SHOP.apiKey,
            api_secret: SHOP.apiSecret,
            low_balance_threshold: 100,
            base_url: simulator.baseUrl,
            currency: 'EUR',
            labels: { team: 'payments' },
          },
          { name: 'otp', api_key: OTP.apiKey, api_secret: OTP.apiSecret, base_url: simulator.baseUrl },
          { name: 'flaky', api_key: FLAKY.apiKey, api_secret: FLAKY.apiSecret, base_url: simulator.baseUrl },
          { name: 'surge', api_key: SURGE.apiKey, api_secret: SURGE.apiSecret, base_url: simulator.baseUrl },
        ],
      }),
    );
    exporter = await startExporterProcess([
      '--config.file',
      config,
      '--poll.interval=1s',
      '--api.timeout=5s',
      '--collector.numbers',
      '--numbers.interval=1m',
    ]);
    const exporterAddress = new URL(exporter.url).host;

    webhook = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        notifications.push(JSON.parse(body) as Notification);
        res.end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));

    const amPort = await freePort();
    const am = parse(readFileSync(join(ROOT, 'alertmanager', 'alertmanager.yml'), 'utf8')) as {
      route: Record<string, unknown> & { routes?: Array<Record<string, unknown>> };
      receivers: Array<{ webhook_configs?: Array<{ url: string }> }>;
    };
    Object.assign(am.route, { group_wait: '1s', group_interval: '1s', repeat_interval: '1h' });
    for (const route of am.route.routes ?? []) if ('repeat_interval' in route) route.repeat_interval = '1h';
    for (const receiver of am.receivers)
      for (const hook of receiver.webhook_configs ?? [])
        hook.url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/`;
    writeFileSync(join(dir, 'alertmanager.yml'), stringify(am));
    alertmanager = startDaemon(
      'prometheus-alertmanager',
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'am')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      daemonLog,
    );

    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    const rules = readFileSync(join(ROOT, 'prometheus', 'rules', 'itniotech.rules.yml'), 'utf8');
    writeFileSync(join(dir, 'itniotech.rules.yml'), shortenSurgeRules(shortenRules(rules)));
    const prom = parse(readFileSync(join(ROOT, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      global: Record<string, string>;
      rule_files: string[];
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    expect(prom.rule_files).toEqual(['rules/*.rules.yml']);
    prom.global = { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' };
    prom.rule_files = [join(dir, 'itniotech.rules.yml')];
    prom.alerting.alertmanagers = [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }];
    const targets: Record<string, string> = {
      itniotech: exporterAddress,
      prometheus: `127.0.0.1:${promPort}`,
      alertmanager: `127.0.0.1:${amPort}`,
    };
    for (const job of prom.scrape_configs) {
      const target = targets[job.job_name];
      if (!target) throw new Error(`unexpected scrape job ${job.job_name} in prometheus.yml`);
      job.static_configs = [{ targets: [target] }];
    }
    writeFileSync(join(dir, 'prometheus.yml'), stringify(prom));
    prometheus = startDaemon(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--rules.alert.resend-delay=1s',
      ],
      daemonLog,
    );
    await eventually(
      async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined),
      'Prometheus ready',
      20_000,
    );
  }

  afterAll(async () => {
    await stopDaemon(prometheus);
    await stopDaemon(alertmanager);
    await exporter?.stop();
    await simulator?.close();
    if (webhook) await new Promise((resolve) => webhook.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  testWithBinaries(
    [PROMETHEUS, 'prometheus-alertmanager'],
    'alerts fire, reach the webhook with the account, and resolve; every dashboard query has data',
    async () => {
      try {
        await setUp();

        // The target is up.
        await eventually(
          async () => ((await query('up{job="itniotech"} == 1')).length === 1 ? true : undefined),
          'target up',
          20_000,
        );

        // Balance below its threshold, and an authentication failure.
        simulator.update(SHOP.apiKey, { balance: 60, spendPerHour: 3600 });
        simulator.update(OTP.apiKey, { failStatus: '-1' });
        await eventually(
          async () => ((await firing('ItniotechBalanceLow', 'shop')) ? true : undefined),
          'ItniotechBalanceLow firing for shop',
          30_000,
        );
        await eventually(
          async () => ((await firing('ItniotechPollFailing', 'otp')) ? true : undefined),
          'ItniotechPollFailing firing for otp',
          30_000,
        );
        // The number due in 3 days, from the real exporter's numbers poll; not the one due in 40.
        await eventually(
          async () => ((await firing('ItniotechNumberExpiring', 'shop')) ? true : undefined),
          'ItniotechNumberExpiring firing for shop',
          30_000,
        );
        const expiring = await query('ALERTS{alertname="ItniotechNumberExpiring",alertstate="firing"}');
        expect(expiring.map((a) => a.metric.number)).toEqual(['447700900123']);
        // A failing getBalance (flaky) leaves its numbers poll up, and the other way round.
        expect((await query('itniotech_up{account="flaky"}'))[0]?.value[1]).toBe('0');
        expect((await query('itniotech_numbers_up{account="flaky"}'))[0]?.value[1]).toBe('1');
        expect(await firing('ItniotechBalanceLow', 'otp')).toBe(false);
        const failing = await query('ALERTS{alertname="ItniotechPollFailing",account="otp"}');
        expect(failing.length).toBe(1);
        await eventually(
          async () => (notified('ItniotechBalanceLow', 'shop', 'firing') ? true : undefined),
          'ItniotechBalanceLow at the webhook',
          30_000,
        );
        await eventually(
          async () => (notified('ItniotechPollFailing', 'otp', 'firing') ? true : undefined),
          'ItniotechPollFailing at the webhook',
          30_000,
        );
        await eventually(
          async () => (notified('ItniotechNumberExpiring', 'shop', 'firing') ? true : undefined),
          'ItniotechNumberExpiring at the webhook',
          30_000,
        );

        // Every expression of the Grafana dashboard returns data, with the variables as "All".
        const dashboard = JSON.parse(readFileSync(join(ROOT, 'grafana', 'dashboards', 'itniotech.json'), 'utf8')) as {
          panels: Array<{ title: string; targets?: Array<{ expr?: string }> }>;
          annotations: { list: Array<{ expr?: string; target?: { expr?: string }; name: string }> };
        };
        const exprs = [
          ...dashboard.panels.flatMap((p) =>
            (p.targets ?? []).filter((t) => t.expr).map((t) => ({ where: p.title, expr: t.expr as string })),
          ),
          ...dashboard.annotations.list
            .filter((a) => a.expr ?? a.target?.expr)
            .map((a) => ({ where: `annotation ${a.name}`, expr: (a.expr ?? a.target?.expr) as string })),
        ];
        expect(exprs.length).toBeGreaterThan(10);
        const empty: string[] = [];
        await eventually(
          async () => {
            empty.length = 0;
            for (const { where, expr } of exprs) {
              const promql = expr.replace(/\$account/g, '.*').replace(/\$__rate_interval/g, '1m');
              if ((await query(promql)).length === 0) empty.push(`${where}: ${promql}`);
            }
            return empty.length === 0 ? true : undefined;
          },
          'every dashboard query to return data',
          30_000,
        ).catch((error: Error) => {
          throw new Error(`${error.message}\nwithout data:\n${empty.join('\n')}`);
        });

        // Restoring both resolves both, in Prometheus and at the webhook.
        simulator.update(SHOP.apiKey, { balance: 500, spendPerHour: 0 });
        simulator.update(OTP.apiKey, { failStatus: null });
        await eventually(
          async () =>
            !(await firing('ItniotechBalanceLow', 'shop')) && !(await firing('ItniotechPollFailing', 'otp'))
              ? true
              : undefined,
          'alerts resolved',
          30_000,
        );
        await eventually(
          async () => (notified('ItniotechBalanceLow', 'shop', 'resolved') ? true : undefined),
          'ItniotechBalanceLow resolved at the webhook',
          30_000,
        );
        await eventually(
          async () => (notified('ItniotechPollFailing', 'otp', 'resolved') ? true : undefined),
          'ItniotechPollFailing resolved at the webhook',
          30_000,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- daemon log (tail) ---\n${daemonLog.join('').slice(-3000)}`);
      }
    },
    180_000,
  );

  testWithBinaries(
    ['prometheus', 'prometheus-alertmanager'],
    'a spend surge fires ItniotechSpendSurge at the webhook, and it resolves when the surge stops',
    async () => {
      try {
        if (!promUrl) await setUp();
        const rate = async (series: string): Promise<number | undefined> => {
          const [sample] = await query(`${series}{account="surge"}`);
          return sample ? Number(sample.value[1]) : undefined;
        };
        // The 90th percentile shrugs off a surge shorter than a tenth of its window: give it 150 s
        // of normal spending (1 per second: 60 per 60 s "hour") before the surge.
        const history = 'count_over_time(itniotech:balance_spend_per_hour:rate1h{account="surge"}[10m:5s]) >= 30';
        const enough = async (): Promise<true | undefined> => ((await query(history)).length > 0 ? true : undefined);
        await eventually(enough, '150 s of normal spend history for surge', 180_000);
        const normal = await rate('itniotech:balance_spend_per_hour:normal7d');
        expect(normal).toBeGreaterThan(30);
        expect(normal).toBeLessThan(90);
        expect(await firing('ItniotechSpendSurge', 'surge')).toBe(false);

        // A hundred times the normal spend: the 60 s rate passes 5 × normal within seconds.
        simulator.update(SURGE.apiKey, { spendPerHour: 360_000 });
        const surging = async (): Promise<true | undefined> =>
          (await firing('ItniotechSpendSurge', 'surge')) ? true : undefined;
        await eventually(surging, 'ItniotechSpendSurge firing for surge', 60_000);
        const sentAs = (status: 'firing' | 'resolved') => async (): Promise<true | undefined> =>
          notified('ItniotechSpendSurge', 'surge', status) ? true : undefined;
        await eventually(sentAs('firing'), 'ItniotechSpendSurge at the webhook', 30_000);
        const sent = notifications
          .flatMap((n) => n.alerts)
          .find((a) => a.labels.alertname === 'ItniotechSpendSurge' && a.labels.account === 'surge');
        expect(sent?.labels.severity).toBe('critical');
        expect(sent?.annotations?.summary).toMatch(
          /^ITNIO account surge: spend surge, [\d.]+ in the last hour, [\d.]+ times the normal [\d.]+ per hour$/,
        );

        // Back to normal: the 5 s window falls under the threshold at once, the alert resolves
        // after keep_firing_for, in Prometheus and at the webhook.
        simulator.update(SURGE.apiKey, { spendPerHour: 3600 });
        await eventually(async () => ((await surging()) ? undefined : true), 'ItniotechSpendSurge resolved', 60_000);
        await eventually(sentAs('resolved'), 'ItniotechSpendSurge resolved at the webhook', 30_000);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- daemon log (tail) ---\n${daemonLog.join('').slice(-3000)}`);
      }
    },
    300_000,
  );
});
