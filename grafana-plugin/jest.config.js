// Unit tests: the pages and hooks in jsdom (src/), and the build's own checks in node (.config/).
// Several of @grafana/ui's dependencies ship only ESM (.mjs among them, e.g. d3-color), so
// those are compiled too.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'classic' } } } }];

// Packages that ship only ESM; jest (CommonJS here) must compile them.
const ESM_PACKAGES = ['d3-[^/]+', 'internmap', 'ol', '@grafana/[^/]+', 'marked', '@tanstack/[^/]+', 'react-calendar', 'get-user-locale', 'memoize', 'mimic-function', '@wojtekmaj/[^/]+', 'uuid'];

const transform = {
  '^.+\\.(t|j)sx?$': swc,
  '^.+\\.mjs$': swc,
};

module.exports = {
  projects: [
    {
      displayName: 'app',
      testEnvironment: 'jest-environment-jsdom',
      roots: ['<rootDir>/src'],
      testMatch: ['<rootDir>/src/**/*.test.{ts,tsx}'],
      setupFiles: ['<rootDir>/jest-globals.js'],
      setupFilesAfterEnv: ['<rootDir>/jest-setup.ts'],
      moduleNameMapper: { '\\.(css|scss|sass)$': 'identity-obj-proxy' },
      transform,
      transformIgnorePatterns: [`node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
    },
    {
      displayName: 'build',
      testEnvironment: 'node',
      roots: ['<rootDir>/.config', '<rootDir>/release'],
      testMatch: ['<rootDir>/.config/**/*.test.ts', '<rootDir>/release/**/*.test.ts'],
      transform,
    },
  ],
};
