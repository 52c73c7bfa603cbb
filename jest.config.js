const { testsNeedingDist } = require('./test/support/needs-dist');

// Tests that run the built exporter (node dist/main.js) are in the "built" project, whose global
// setup brings dist/ up to date first; jest runs a project's global setup only when some of its
// tests run, so a unit test file on its own (`npx jest test/itnio/signing.test.ts`) builds nothing
// but the status page script's bundle.
// Which files need dist/ is read from the files themselves (test/support/needs-dist.js).
const built = testsNeedingDist(`${__dirname}/test`);

const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 30000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['**/*.test.ts', ...built.map((file) => `!${file}`)],
      // The status page script's bundle (well under a second), for the tests that render the page in-process.
      globalSetup: '<rootDir>/test/support/bundle-page-script.ts',
    },
    {
      ...common,
      displayName: 'built',
      testMatch: built,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};
