/** Where the configuration is read from: flags, the environment and files (injected for tests). */
export interface ConfigSources {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}
