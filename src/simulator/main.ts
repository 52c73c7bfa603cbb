#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parseListenAddress } from '../config/listen-address';
import { DEMO_ACCOUNTS } from './demo-accounts';
import { startSimulator } from './simulator';

/** Runs the ITNIO simulator with the demo accounts: `node dist/simulator/main.js --listen 0.0.0.0:10043`. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { listen: { type: 'string', default: '127.0.0.1:10043' }, latency: { type: 'string', default: '0' } },
  });
  const listen = parseListenAddress(values.listen);
  if (!listen) throw new Error(`--listen: "${values.listen}" is not valid; expected host:port`);
  const simulator = await startSimulator({
    accounts: DEMO_ACCOUNTS,
    host: listen.host === '' ? '0.0.0.0' : listen.host,
    port: listen.port,
    latencyMs: Number(values.latency),
  });
  process.stdout.write(
    `ITNIO simulator serving ${simulator.baseUrl}/getBalance for ${DEMO_ACCOUNTS.map((a) => a.name).join(', ')}\n`,
  );
  const stop = (): void => void simulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`itnio-simulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
