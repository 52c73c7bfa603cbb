/** One ITNIO account as configured; `name` is the only part that ever leaves the process. */
export interface Account {
  name: string;
  apiKey: string;
  apiSecret: string;
  baseUrl: string;
  lowBalanceThreshold?: number;
  /** `numbers: false` in the accounts file: left out of --collector.numbers. */
  numbers?: boolean;
  /** ISO 4217 code the account is quoted in (getBalance does not say). */
  currency?: string;
  /** The user's own labels, exported once on itniotech_account_info. */
  labels?: Record<string, string>;
}

/**
 * Whether two entries poll the same ITNIO account: same key and base URL. A reload that changes
 * either points the name at another account, whose numbers are not comparable; a new secret
 * (a rotation) is the same account, signed differently.
 */
export function sameItnioAccount(a: Account, b: Account): boolean {
  return a.apiKey === b.apiKey && a.baseUrl === b.baseUrl;
}
