// Unit tests of the pages and hooks in jsdom. @grafana/* and d3 ship ESM (.mjs), so those
// files are transformed too; everything else in node_modules is plain CommonJS.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'classic' } } } }];

module.exports = {
  testEnvironment: 'jest-environment-jsdom',
  roots: ['<rootDir>/src'],
  testMatch: ['<rootDir>/src/**/*.test.{ts,tsx}'],
  setupFiles: ['<rootDir>/jest-globals.js'],
  setupFilesAfterEnv: ['<rootDir>/jest-setup.ts'],
  moduleNameMapper: { '\\.(css|scss|sass)$': 'identity-obj-proxy', '\\.(svg|png)$': '<rootDir>/src/__mocks__/file.js' },
  transform: {
    '^.+\\.(t|j)sx?$': swc,
    '^.+\\.mjs$': swc,
  },
  transformIgnorePatterns: ['node_modules/(?!(d3-.*|internmap|ol|@grafana/.*|marked|@tanstack/.*)/)'],
};
