// The rate-cap benchmark (issue 17, load control): two loaders share one source under one
// pipeline cap (PIPEWARDEN_RATE_ROWS_PER_SECOND, a token bucket in Redis both take from).
// Measured in the same run: the same source loaded uncapped by one loader (the baseline:
// what the machine does without a cap), then with the cap by two loaders for about
// --seconds. The figure is the rate the two achieved together against the cap.
//
//   npm run bench:rate-cap -- [--cap 20000] [--seconds 30] [--objects 8]
//
// Last line: RESULT {json}. Target: ratio_vs_cap within 0.9–1.1 (the cap holds within 10%).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from '@pipewarden/core';
import { generate, runLoad } from '@pipewarden/loader';
import { Stack, REPO_ROOT } from '@pipewarden/stack';
import { flag, log, runBench } from './lib';

const args = process.argv.slice(2);
const SECONDS = flag(args, 'seconds', 30);
const OBJECTS = flag(args, 'objects', 8);
const say = (m: string) => log('rate-cap', m);
const quietLog: Logger = { debug() {}, info() {}, warn: (m) => say(`warn: ${m}`), error: (m) => say(`error: ${m}`), child: () => quietLog };

/** A folder of OBJECTS generated files with disjoint keys, `rows` rows in all (kept between runs in bench/.data). */
async function source(rows: number): Promise<string> {
  const dir = resolve(REPO_ROOT, 'bench', '.data', `rate-cap-${OBJECTS}x${Math.ceil(rows / OBJECTS)}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < OBJECTS; i++) {
    const f = join(dir, `part-${String(i).padStart(3, '0')}.csv`);
    if (!existsSync(f)) await generate(f, { rows: Math.ceil(rows / OBJECTS), seed: 900 + i, badShare: 0, duplicateShare: 0, keyBase: 3_000_000_000 + i * 10_000_000 });
  }
  return dir;
}

async function main(): Promise<void> {
  const cap = flag(args, 'cap', 20_000);
  const rows = cap * SECONDS;
  const src = await source(rows);
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-rate-'));
  const stack = await Stack.create({ dir, services: ['mariadb', 'redis'] });
  await stack.start();
  try {
    await stack.resetData();
    const t0 = Date.now();
    const base = await runLoad(stack.config({ 'wal.dir': join(dir, 'run-base') }), { source: src, log: quietLog });
    const uncapped = base.rows_in / ((Date.now() - t0) / 1000);
    say(`uncapped, one loader: ${Math.round(uncapped)} rows/s`);
    if (uncapped < cap * 1.2) say(`warn: the cap (${cap}) is not well below what the machine does uncapped; the figure says little`);

    await stack.resetData();
    const capped = (name: string) => stack.config({ 'wal.dir': join(dir, `run-${name}`), 'rate.rowsPerSecond': cap });
    const t1 = Date.now();
    const loads = await Promise.all(['a', 'b'].map((w) => runLoad(capped(w), { source: src, log: quietLog, worker: w })));
    const seconds = (Date.now() - t1) / 1000;
    const written = loads.reduce((a, s) => a + s.this_run.rows_loaded + s.this_run.rows_duplicate, 0);
    const achieved = written / seconds;
    say(`capped at ${cap} rows/s, two loaders: ${Math.round(achieved)} rows/s over ${seconds.toFixed(1)} s (${loads.map((s) => s.this_run.batches_committed).join(' + ')} batches)`);
    const out = {
      cap_rows_per_s: cap,
      loaders: 2,
      rows: written,
      seconds: +seconds.toFixed(2),
      achieved_rows_per_s: Math.round(achieved),
      ratio_vs_cap: +(achieved / cap).toFixed(3),
      uncapped_rows_per_s: Math.round(uncapped),
    };
    process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench('rate-cap', main);
