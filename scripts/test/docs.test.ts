import { readFileSync } from 'node:fs';
import { ALL_METRICS, VARIABLES } from '@pipewarden/core';
import { README, renderReadme } from '../src/docs';

test('the README reference tables match the contracts in core (run `npm run docs` to refresh)', () => {
  const text = readFileSync(README, 'utf8');
  expect(renderReadme(text)).toBe(text);
  for (const v of VARIABLES) expect(text).toContain(`\`${v.env}\``);
  for (const m of ALL_METRICS) expect(text).toContain(`\`${m.name}\``);
});

test('the README shows the two quick-start commands', () => {
  const text = readFileSync(README, 'utf8');
  expect(text).toContain('npm run demo');
  expect(text).toContain('npm test');
});
