/** Every problem found in the configuration, each naming its flag, variable or file key. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The problems of one configuration read, in the order they were found, so that all of them are
 * reported at once. It owns the wording that settings, the accounts file and the web config share.
 */
export class Problems {
  readonly #list: string[] = [];

  /** A copy, in the order found. */
  get list(): string[] {
    return [...this.#list];
  }

  get count(): number {
    return this.#list.length;
  }

  add(problem: string): void {
    this.#list.push(problem);
  }

  /** `where: "shown" is not valid; expected expected`. `shown` is quoted back, so it must hold no secret. */
  invalid(where: string, shown: string, expected: string): void {
    this.add(`${where}: "${shown}" is not valid; expected ${expected}`);
  }

  /**
   * Reads a file the configuration names, or records `where: cannot read what (CODE); expected expected`
   * and returns undefined. `what` names the file, by default its quoted path.
   */
  readFile(
    read: (path: string) => string,
    path: string,
    where: string,
    expected: string,
    what = `"${path}"`,
  ): string | undefined {
    try {
      return read(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      this.add(`${where}: cannot read ${what} (${code}); expected ${expected}`);
      return undefined;
    }
  }

  /** Throws a ConfigError carrying every problem, when there is one. */
  throwIfAny(): void {
    if (this.count > 0) throw new ConfigError(this.list);
  }
}
