// Two projects: `unit` (pure logic, parallel) and `integration` (real MariaDB, Redis,
// S3 server, Prometheus started per suite by scripts/src/stack; run serially because
// the machine has two cores and the suites kill processes).
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
// hyparquet and its codecs ship as ES modules only: jest's CommonJS runtime needs them compiled.
const transformIgnorePatterns = ['/node_modules/(?!(hyparquet|hyparquet-compressors|hysnappy|fzstd)/)'];
const setupFiles = ['<rootDir>/cli/bin/quiet-warnings.cjs', '<rootDir>/test/helpers/quiet-logs.js'];
module.exports = {
  // Integration tests start real services and kill them; a per-project testTimeout is
  // ignored by jest 30, so the budget is global (unit tests finish in milliseconds anyway).
  testTimeout: 240000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      setupFiles,
      testMatch: ['<rootDir>/{core,loader,reconciler,exporter,scripts,cli}/test/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      setupFiles,
      testMatch: ['<rootDir>/test/**/*.itest.ts', '<rootDir>/{core,loader,reconciler,exporter,scripts,cli}/test/**/*.itest.ts'],
    },
  ],
};
