// `pipewarden --help` start-up: the compiled bundle (dist/pipewarden.cjs, what `npm install -g`
// installs) against the clone's tsx entry (cli/bin/pipewarden.cjs), in the same run. Runs
// alternate (compiled, tsx, compiled, …) so the machine's noise falls on both alike; each is
// a fresh process, timed from spawn to exit. Builds dist/ first (npm run build).
//
//   node -r tsx/cjs bench/startup.ts [--runs 20]
//
// Last line: RESULT {json}. Target (issue 19): compiled median well under 300 ms.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { flag } from './lib';

const ROOT = join(__dirname, '..');
const args = process.argv.slice(2);
const RUNS = flag(args, 'runs', 20);

const ENTRIES = {
  compiled: join(ROOT, 'dist', 'pipewarden.cjs'),
  tsx: join(ROOT, 'cli', 'bin', 'pipewarden.cjs'),
} as const;
type Entry = keyof typeof ENTRIES;

function timeOnce(entry: Entry): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [ENTRIES[entry], '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${entry} --help exited with ${r.status}: ${r.stderr}`);
  return ms;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function main(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const times: Record<Entry, number[]> = { compiled: [], tsx: [] };
  // One warm-up each: the first spawn pays for the file cache.
  timeOnce('compiled');
  timeOnce('tsx');
  for (let i = 0; i < RUNS; i++) for (const e of ['compiled', 'tsx'] as const) times[e].push(timeOnce(e));
  const summary = (e: Entry) => ({ median_ms: Math.round(quantile(times[e], 0.5)), p90_ms: Math.round(quantile(times[e], 0.9)), min_ms: Math.round(Math.min(...times[e])) });
  const result = {
    runs: RUNS,
    compiled: summary('compiled'),
    tsx: summary('tsx'),
    ratio_tsx_over_compiled: Number((quantile(times.tsx, 0.5) / quantile(times.compiled, 0.5)).toFixed(2)),
    target_compiled_median_under_300ms: quantile(times.compiled, 0.5) < 300,
  };
  process.stdout.write(`compiled median ${result.compiled.median_ms} ms, tsx median ${result.tsx.median_ms} ms (${result.ratio_tsx_over_compiled}x)\n`);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main();
