import { parseSamples } from './prom-text';

/** GETs a /metrics URL; fails unless it answers 200. */
export async function scrapeSamples(metricsUrl: string): Promise<Map<string, number>> {
  const response = await fetch(metricsUrl);
  if (response.status !== 200) throw new Error(`${metricsUrl} answered ${response.status}`);
  return parseSamples(await response.text());
}
