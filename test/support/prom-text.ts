/** Samples of a Prometheus text exposition, keyed `name{labels}` exactly as printed. */
export function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

/** Value of one sample in Prometheus text output, or undefined if the series is absent. */
export function sampleValue(text: string, series: string): number | undefined {
  return parseSamples(text).get(series);
}
