// Two projects: `unit` (pure logic, parallel) and `integration` (real MariaDB, Redis,
// S3 server, Prometheus started per suite by scripts/src/stack; run serially because
// the machine has two cores and the suites kill processes).
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/{core,loader,reconciler,exporter,scripts,cli}/test/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/**/*.itest.ts', '<rootDir>/{core,loader,reconciler,exporter,scripts,cli}/test/**/*.itest.ts'],
      testTimeout: 180000,
    },
  ],
};
