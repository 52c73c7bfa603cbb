/** One ITNIO account as configured; `name` is the only part that ever leaves the process. */
export interface Account {
  name: string;
  apiKey: string;
  apiSecret: string;
  baseUrl: string;
  lowBalanceThreshold?: number;
}
