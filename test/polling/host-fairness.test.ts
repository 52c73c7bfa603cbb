import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Account } from '../../src/config/account';
import { createBalanceClient, type BalanceOutcome } from '../../src/itnio/client';
import { BALANCE_POLL, balancePollKind } from '../../src/polling/balance-kind';
import { Poller } from '../../src/polling/poller';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';

/** Issue 20 item 9: accounts whose API host hangs must not slow accounts on another host. */
describe('the poller shares its concurrency between API hosts', () => {
  let hanging: Server;
  let simulator: Simulator;
  const healthy = Array.from({ length: 4 }, (_, i) => ({ apiKey: `healthy${i}`, apiSecret: `secret-${i}` }));

  beforeAll(async () => {
    // Accepts every request and never answers it.
    hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    simulator = await startSimulator({
      accounts: healthy.map((a) => ({ ...a, balance: 10, gift: 0, credit: 0, spendPerHour: 0 })),
    });
  });
  afterAll(async () => {
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
    await simulator.close();
  });

  test('8 accounts on a hanging host, listed first, leave the 4 on a healthy host their pace', async () => {
    const hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/sms`;
    const accounts: Account[] = [
      ...Array.from({ length: 8 }, (_, i) => ({
        name: `hung${i}`,
        apiKey: `hung${i}`,
        apiSecret: 's',
        baseUrl: hangingUrl,
      })),
      ...healthy.map((a, i) => ({ name: `ok${i}`, ...a, baseUrl: simulator.baseUrl })),
    ];
    const finished: Array<{ name: string; outcome: BalanceOutcome }> = [];
    const poller = new Poller({
      kinds: [balancePollKind(createBalanceClient({ timeoutMs: 1500 }))],
      concurrency: 4, // the --poll.concurrency default
      onResult: (result) => finished.push({ name: result.account.name, outcome: result.outcome as BalanceOutcome }),
    });
    await poller.poll(
      BALANCE_POLL,
      accounts.map((account) => ({ account })),
    );
    expect(finished).toHaveLength(12);
    // Before the fix the 8 hanging polls took all 4 slots, so the healthy ones waited for timeouts.
    const firstTimeout = finished.findIndex((f) => f.outcome.kind === 'failure');
    const healthyDone = finished.filter((f, i) => f.name.startsWith('ok') && i < firstTimeout);
    expect(healthyDone.map((f) => f.outcome.kind)).toEqual(['success', 'success', 'success', 'success']);
    for (const f of finished.filter((x) => x.name.startsWith('hung')))
      expect(f.outcome).toMatchObject({ kind: 'failure', reason: 'timeout' });
  }, 30_000);
});
