#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parseListenAddress, type ListenAddress } from '../config/listen-address';
import { DEMO_ACCOUNTS } from './demo-accounts';
import { startSimulator } from './simulator';

const NAME = 'itniotech-simulator';

const USAGE = `Usage: ${NAME} [--listen=HOST:PORT] [--latency=MS]

An ITNIO-compatible API (getBalance and number/queryPage) serving the demo accounts
${DEMO_ACCOUNTS.map((a) => a.name).join(', ')} with fake credentials, for demos and tests.

Flags:
  --listen=HOST:PORT  Address to listen on (default 127.0.0.1:10043).
  --latency=MS        Milliseconds added to every answer (default 0).
  --help              Show this help and exit.
`;

interface SimulatorArgs {
  listen: ListenAddress;
  latencyMs: number;
}

/** The command line, or a message that names the flag and the expected form. */
function readArgs(argv: string[]): SimulatorArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', default: '127.0.0.1:10043' },
      latency: { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const listen = parseListenAddress(values.listen);
  if (!listen) throw new Error(`--listen: "${values.listen}" is not valid; expected host:port`);
  if (!/^\d{1,6}$/.test(values.latency)) {
    throw new Error(`--latency: "${values.latency}" is not valid; expected a whole number of milliseconds`);
  }
  return { listen, latencyMs: Number(values.latency) };
}

/** Runs the ITNIO simulator with the demo accounts: `node dist/simulator/main.js --listen 0.0.0.0:10043`. */
async function main(): Promise<void> {
  const args = readArgs(process.argv.slice(2));
  if (args === 'help') return void process.stdout.write(USAGE);
  const simulator = await startSimulator({
    accounts: DEMO_ACCOUNTS,
    host: args.listen.host === '' ? '0.0.0.0' : args.listen.host,
    port: args.listen.port,
    latencyMs: args.latencyMs,
  });
  process.stdout.write(
    `ITNIO simulator serving ${simulator.baseUrl}/getBalance for ${DEMO_ACCOUNTS.map((a) => a.name).join(', ')}\n`,
  );
  const stop = (): void => void simulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${NAME}: ${message}; see --help\n`);
  process.exit(1);
});
