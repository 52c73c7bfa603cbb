/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Builds dist/ (incrementally) before any test: several tests run the built exporter.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 30000,
};
