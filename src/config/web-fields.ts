import type { Problems } from './problems';

/** Reading one mapping of the web config file, each problem naming `at.key`. */

// The one "is this a mapping" of the exporter, read here by the web config's parsers.
export { isMapping } from '../input/mapping';

export class Fields {
  constructor(
    readonly at: string,
    readonly value: Record<string, unknown>,
    readonly problems: Problems,
  ) {}

  /** Records every key not in `keys`, as exporter-toolkit's strict YAML decoding refuses them. */
  onlyKeys(keys: readonly string[]): void {
    for (const key of Object.keys(this.value)) {
      if (!keys.includes(key)) this.problems.add(`${this.at}: unknown key "${key}"; expected ${keys.join(', ')}`);
    }
  }

  /** A string; undefined when absent, null or empty (Go's zero value). */
  text(key: string): string | undefined {
    const v = this.value[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      this.problems.add(`${this.at}.${key}: expected a string`);
      return undefined;
    }
    return v;
  }

  /** Whether the key holds a non-empty value, as exporter-toolkit tests a string field. */
  has(key: string): boolean {
    const v = this.value[key];
    return v !== undefined && v !== null && v !== '';
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.value[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.problems.add(`${this.at}.${key}: expected true or false`);
      return fallback;
    }
    return v;
  }

  /** A list of strings; undefined when absent or null. */
  list(key: string): string[] | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((item) => typeof item !== 'string')) {
      this.problems.add(`${this.at}.${key}: expected a list of strings`);
      return undefined;
    }
    return v as string[];
  }

  /** A choice among `names` (exact spelling); undefined when absent or not one of them. */
  choice<T>(key: string, names: Readonly<Record<string, T>>): T | undefined {
    const v = this.text(key);
    if (v === undefined) return undefined;
    if (!Object.hasOwn(names, v)) {
      this.problems.invalid(`${this.at}.${key}`, v, `one of ${Object.keys(names).join(', ')}`);
      return undefined;
    }
    return names[v];
  }
}
