// One version everywhere: the CLI (root package.json, which `pipewarden --version` and the
// services' /status read through core's buildInfo), the Grafana app (its package.json, which
// its build writes into plugin.json's info.version) and the CHANGELOG.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInfo } from '@pipewarden/core';

const ROOT = join(__dirname, '..', '..');
const json = (p: string) => JSON.parse(readFileSync(join(ROOT, p), 'utf8'));

test('the CLI and the Grafana app carry the same version', () => {
  expect(json('grafana-plugin/package.json').version).toBe(json('package.json').version);
  // plugin.json takes the app's package.json version at build time, never a copy of its own.
  expect(json('grafana-plugin/src/plugin.json').info.version).toBe('%VERSION%');
});

test('from a clone, buildInfo reads package.json and git', () => {
  const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const info = buildInfo();
  expect(info.version).toBe(json('package.json').version);
  expect(info.revision).toMatch(new RegExp(`^${head}(-dirty)?$`));
});

test('the CHANGELOG keeps an Unreleased section first and one for the current version', () => {
  const headings = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8').match(/^## .*$/gm) ?? [];
  expect(headings[0]).toBe('## [Unreleased]');
  expect(headings).toContainEqual(expect.stringMatching(new RegExp(`^## \\[${json('package.json').version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`)));
});
