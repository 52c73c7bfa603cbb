import { stringify } from 'yaml';
import type { SimulatedAccount } from './simulator';

/** Accounts the demo and the simulator's command line start with; secrets are fake by design. */
export const DEMO_ACCOUNTS: ReadonlyArray<
  SimulatedAccount & { name: string; lowBalanceThreshold: number; currency: string; team: string }
> = [
  {
    name: 'marketing',
    apiKey: 'demoMkt1',
    apiSecret: 'demo-marketing-secret',
    balance: 1250,
    gift: 50,
    credit: 0,
    spendPerHour: 600,
    lowBalanceThreshold: 200,
    currency: 'USD',
    team: 'growth',
    numbers: [
      { number: '447700900123', ccode: '44', country: 'United Kingdom', type: 'MOBILE', state: 3, dueInDays: 5 },
      { number: '14155550100', ccode: '1', country: 'United States', type: 'FIXED', state: 3, dueInDays: 45 },
      { number: '4930901820', ccode: '49', country: 'Germany', type: 'FIXED', state: 4, dueInDays: -12 },
    ],
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
    currency: 'EUR',
    team: 'ops',
    numbers: [
      { number: '6591234567', ccode: '65', country: 'Singapore', type: 'MOBILE', state: 3, dueInDays: 90 },
      { number: '915027021995', ccode: '91', country: 'India', type: 'FIXED', state: 5, dueDate: null },
    ],
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
    currency: 'USD',
    team: 'payments',
    numbers: [
      { number: '61491570156', ccode: '61', country: 'Australia', type: 'MOBILE', state: 3, dueInDays: 21 },
      { number: '33612345678', ccode: null, country: null, type: null, state: 3, dueInDays: 30, remark: null },
    ],
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
    currency: a.currency,
    labels: { team: a.team },
  }));
  return `# Demo accounts served by the built-in ITNIO simulator (fake credentials).\n# Generated from src/simulator/demo-accounts.ts; a test keeps the two in step.\n${stringify({ accounts })}`;
}
