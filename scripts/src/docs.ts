// The README's reference tables are generated from the contracts in core (configuration
// variables, metrics), so they cannot drift: `npm run docs` rewrites them and a unit test
// fails when the README is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_METRICS, VARIABLES } from '@pipewarden/core';

export const README = join(__dirname, '..', '..', 'README.md');

export function configReference(): string {
  const rows = VARIABLES.map((v) => `| \`${v.env}\` | ${v.default !== undefined ? `\`${v.default}\`` : '—'} | ${v.description.replace(/\|/g, '\\|')} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

export function metricsReference(): string {
  const rows = ALL_METRICS.map((m) => `| \`${m.name}\` | ${m.type} | ${m.labels.length ? m.labels.map((l) => `\`${l}\``).join(', ') : '—'} | ${m.owner} | ${m.help} |`);
  return ['| metric | type | labels | exported by | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

const SECTIONS: Record<string, () => string> = { 'config-reference': configReference, 'metrics-reference': metricsReference };

export function renderReadme(text: string): string {
  let out = text;
  for (const [name, gen] of Object.entries(SECTIONS)) {
    const re = new RegExp(`(<!-- BEGIN ${name} -->\\n)[\\s\\S]*?(<!-- END ${name} -->)`);
    if (!re.test(out)) throw new Error(`README lacks the markers of ${name}`);
    out = out.replace(re, (_m, a: string, b: string) => `${a}${gen()}\n${b}`);
  }
  return out;
}

if (require.main === module) {
  const before = readFileSync(README, 'utf8');
  const after = renderReadme(before);
  writeFileSync(README, after);
  process.stdout.write(before === after ? 'README reference tables were up to date\n' : 'README reference tables updated\n');
}
