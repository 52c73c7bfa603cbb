/** One ITNIO account as configured; `name` is the only part that ever leaves the process. */
export interface Account {
  name: string;
  apiKey: string;
  apiSecret: string;
  baseUrl: string;
  lowBalanceThreshold?: number;
}

/**
 * Whether two entries poll the same ITNIO account: same key and base URL. A reload that changes
 * either points the name at another account, whose numbers are not comparable; a new secret
 * (a rotation) is the same account, signed differently.
 */
export function sameItnioAccount(a: Account, b: Account): boolean {
  return a.apiKey === b.apiKey && a.baseUrl === b.baseUrl;
}
