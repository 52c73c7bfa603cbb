import { stringify } from 'yaml';
import type { SimulatedAccount } from './simulator';

/** Accounts the demo and the simulator's command line start with; secrets are fake by design. */
export const DEMO_ACCOUNTS: ReadonlyArray<SimulatedAccount & { name: string; lowBalanceThreshold: number }> = [
  {
    name: 'marketing',
    apiKey: 'demoMkt1',
    apiSecret: 'demo-marketing-secret',
    balance: 1250,
    gift: 50,
    credit: 0,
    spendPerHour: 600,
    lowBalanceThreshold: 200,
  },
  {
    name: 'alerts',
    apiKey: 'demoAlt2',
    apiSecret: 'demo-alerts-secret',
    balance: 320,
    gift: 0,
    credit: 100,
    spendPerHour: 60,
    lowBalanceThreshold: 100,
  },
  {
    name: 'otp',
    apiKey: 'demoOtp3',
    apiSecret: 'demo-otp-secret',
    balance: 120,
    gift: 10,
    credit: 0,
    spendPerHour: 240,
    lowBalanceThreshold: 100,
  },
];

/** The exporter configuration file for the demo accounts, pointed at a simulator. */
export function demoConfigYaml(baseUrl: string): string {
  const accounts = DEMO_ACCOUNTS.map((a) => ({
    name: a.name,
    api_key: a.apiKey,
    api_secret: a.apiSecret,
    low_balance_threshold: a.lowBalanceThreshold,
    base_url: baseUrl,
  }));
  return `# Demo accounts served by the built-in ITNIO simulator (fake credentials).\n# Generated from src/simulator/demo-accounts.ts; a test keeps the two in step.\n${stringify({ accounts })}`;
}
