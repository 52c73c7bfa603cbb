/**
 * The direction of dependencies in src/, checked by `npm test` (npm run deps).
 * Each folder may import its own modules and those of the folders listed for it; everything
 * else is an upward or sideways import. Type-only imports count too.
 */
const LAYERS = {
  log: [],
  clock: [],
  input: [],
  itnio: ['input'],
  config: ['log', 'input'],
  simulator: ['itnio', 'config'],
  polling: ['clock', 'itnio', 'config', 'log'],
  numbers: ['polling', 'itnio', 'config', 'log'],
  store: ['clock', 'polling', 'itnio', 'config'],
  web: ['config'],
  'config-watch': ['config', 'log'],
  reload: ['config', 'log'],
  metrics: ['numbers', 'store', 'clock', 'polling', 'itnio', 'config', 'web'],
  'status-page': ['numbers', 'store', 'clock', 'polling', 'itnio', 'config', 'web'],
  exporter: [
    'numbers',
    'metrics',
    'status-page',
    'reload',
    'web',
    'store',
    'clock',
    'polling',
    'itnio',
    'config',
    'log',
  ],
  cli: ['numbers', 'exporter', 'simulator', 'store', 'polling', 'itnio', 'config', 'log'],
};

const folders = Object.keys(LAYERS);
const either = (names) => `^src/(${names.map((n) => n.replace('-', '\\-')).join('|')})/`;
const allowed = (folder) => ['its own modules', ...LAYERS[folder].map((n) => `src/${n}/`)].join(', ');

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle (type-only imports included) ties modules that should be layered.',
      from: {},
      to: { circular: true },
    },
    ...folders.map((folder) => ({
      name: `layer-${folder}`,
      severity: 'error',
      comment: `src/${folder}/ may import only ${allowed(folder)}; anything else is upward or sideways (LAYERS above).`,
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: [`^src/${folder}/`, ...(LAYERS[folder].length ? [either(LAYERS[folder])] : [])] },
    })),
    {
      name: 'no-entry-imports',
      severity: 'error',
      comment: 'The entry points (src/*.ts) are wiring: nothing imports them.',
      from: { path: '^src/' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'itnio-knows-no-prometheus-or-express',
      severity: 'error',
      comment: 'The ITNIO client knows HTTP and signing, nothing of Prometheus or Express.',
      from: { path: '^src/itnio/' },
      to: { path: 'node_modules/(prom-client|express)/' },
    },
    {
      name: 'config-runs-nothing',
      severity: 'error',
      comment: 'The configuration builds plain data: no HTTP, metrics, logging or client libraries.',
      from: { path: '^src/config/' },
      to: { path: 'node_modules/(prom-client|express|axios|pino)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
