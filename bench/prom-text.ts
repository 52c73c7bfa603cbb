/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a text-format exposition; comments and blank lines are skipped. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_RE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL_RE))
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The metric families of a text exposition whose names start with `prefix`, HELP and TYPE lines included. */
export function familiesWithPrefix(text: string, prefix: string): string {
  const kept: string[] = [];
  let keep = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    const name = comment ? comment[1] : /^[^{\s]+/.exec(line)?.[0];
    if (comment || name) keep = (name ?? '').startsWith(prefix);
    if (keep) kept.push(line);
  }
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}
