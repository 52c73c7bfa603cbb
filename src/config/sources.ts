/** Where the configuration is read from: flags, the environment and files (injected for tests). */
export interface ConfigSources {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}

/** One setting's value and where it came from, so that a problem names the right flag or variable. */
export interface Setting {
  value: string;
  /** `--flag`, `ENV_VAR` or `--flag (default)`. */
  source: string;
  /** The form the flag's value takes, as problems and --help word it. */
  expected: string;
}
