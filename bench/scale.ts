// The scale-out benchmark (issue 17): the same source loaded by 1, 2 and 3 loader processes
// (`pipewarden load`, each with its own run folder) against one MariaDB sized for this
// machine, in two layouts: several objects loaded whole (object leases), and one object cut
// into byte ranges (PIPEWARDEN_RANGE_BYTES). Figures: rows/s for each count of loaders and
// the ratio to one loader, in the same run; and what the leases cost one loader: the fence
// each batch transaction runs (lease row and pipeline hold, two primary-key reads under a
// share lock), timed on the same server, against that loader's time per batch.
//
//   npm run bench:scale -- [--rows 2000000] [--objects 8] [--range-mb 32] [--loaders 3]
//
// Last line: RESULT {json}. Targets: more loaders never lose throughput (ratio ≥ 1.0 here,
// where the loaders and MariaDB share two cores); the leases' overhead under 5% at one loader.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkNotHeld, claimObject, connect, ensureHoldRow, holdLease, registerObjects, type Config } from '@pipewarden/core';
import { generate } from '@pipewarden/loader';
import { Stack, REPO_ROOT, serverSizing } from '@pipewarden/stack';
import { flag, log, settleInnoDb, runBench } from './lib';

const args = process.argv.slice(2);
const ROWS = flag(args, 'rows', 2_000_000);
const OBJECTS = flag(args, 'objects', 8);
const RANGE_BYTES = flag(args, 'range-mb', 32) * (1 << 20);
const MAX_LOADERS = flag(args, 'loaders', 3);
const BATCH = 10_000;
const CLI = join(REPO_ROOT, 'cli', 'bin', 'pipewarden.cjs');
const say = (m: string) => log('scale', m);

/** The source in `parts` generated files with disjoint keys (kept between runs in bench/.data). */
async function source(parts: number): Promise<string> {
  const dir = resolve(REPO_ROOT, 'bench', '.data', `scale-${parts}x${Math.ceil(ROWS / parts)}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < parts; i++) {
    const f = join(dir, `part-${String(i).padStart(3, '0')}.csv`);
    if (!existsSync(f)) await generate(f, { rows: Math.ceil(ROWS / parts), seed: 700 + i, badShare: 0.001, duplicateShare: 0, keyBase: 4_000_000_000 + i * 100_000_000 });
  }
  return dir;
}

/** `n` loader processes on one source, started together; seconds until the last one exits. */
async function loadWith(stack: Stack, dir: string, src: string, n: number, env: Record<string, string>): Promise<{ seconds: number; rows: number }> {
  const t0 = Date.now();
  const children: ReturnType<typeof spawn>[] = [];
  const runs = Array.from({ length: n }, (_, i) =>
    new Promise<{ rows: number }>((done, fail) => {
      const p = spawn(process.execPath, [CLI, 'load', '--source', src, '--batch-size', String(BATCH), '--no-progress', '--json'], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...stack.env, ...env, PIPEWARDEN_LOG_LEVEL: 'warn', PIPEWARDEN_WAL_DIR: join(dir, `run-${n}-${i}`), PIPEWARDEN_WORKER: `bench${i + 1}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(p);
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      p.on('close', (code) => (code === 0 ? done({ rows: (JSON.parse(out) as { rows_in: number }).rows_in }) : fail(new Error(`loader ${i + 1} of ${n} exited ${code}: ${err.slice(-2000)}`))));
    }),
  );
  // One loader failing fails the figure: the others are stopped, not left waiting for a server the benchmark takes down.
  const results = await Promise.all(runs).catch((e: unknown) => {
    for (const c of children) c.kill('SIGKILL');
    throw e;
  });
  return { seconds: (Date.now() - t0) / 1000, rows: results[0].rows };
}

/**
 * The fence's cost per batch transaction: BEGIN, the two share-locked reads, COMMIT, against
 * BEGIN, COMMIT alone, over many rounds on one connection.
 */
async function fenceMs(config: Config): Promise<number> {
  const conn = await connect(config);
  try {
    const fence = { pipeline: config.pipeline, key: 'bench://fence', etag: 'e', owner: 'bench' };
    await registerObjects(conn, config.pipeline, [fence]);
    await ensureHoldRow(conn, config.pipeline);
    const pooled = conn as unknown as Parameters<typeof claimObject>[0];
    await claimObject(pooled, fence, 3600, 'bench');
    const time = async (withFence: boolean) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 2000; i++) {
        await conn.beginTransaction();
        if (withFence) {
          await holdLease(conn, fence);
          await checkNotHeld(conn, config.pipeline);
        }
        await conn.commit();
      }
      return Number(process.hrtime.bigint() - t0) / 1e6 / 2000;
    };
    await time(true); // warm up
    const bare = await time(false);
    const fenced = await time(true);
    return Math.max(0, fenced - bare);
  } finally {
    await conn.end();
  }
}

async function main(): Promise<void> {
  const layouts = [
    { name: 'whole_objects', src: await source(OBJECTS), env: {} as Record<string, string> },
    { name: 'ranges', src: await source(1), env: { PIPEWARDEN_RANGE_BYTES: String(RANGE_BYTES) } },
  ];
  say(`one object of ${(statSync(join(layouts[1].src, 'part-000.csv')).size / 2 ** 20).toFixed(0)} MB in ranges of ${RANGE_BYTES / 2 ** 20} MB; ${OBJECTS} objects loaded whole`);
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-scale-'));
  const sizing = serverSizing();
  const stack = await Stack.create({ dir, services: ['mariadb', 'redis'], bufferPool: sizing.bufferPool, mariadbSettings: sizing.settings });
  await stack.start();
  try {
    const out: Record<string, Record<string, number>> = {};
    let oneLoader = { seconds: 0, batches: 0 };
    for (const layout of layouts) {
      const figures: Record<string, number> = {};
      for (let n = 1; n <= MAX_LOADERS; n++) {
        await stack.resetData();
        const admin = await connect(stack.config());
        await settleInnoDb(admin);
        await admin.end();
        const r = await loadWith(stack, dir, layout.src, n, layout.env);
        const rps = r.rows / r.seconds;
        figures[`loaders_${n}_rows_per_s`] = Math.round(rps);
        if (n > 1) figures[`ratio_${n}_vs_1`] = +(rps / figures.loaders_1_rows_per_s).toFixed(3);
        if (n === 1 && layout.name === 'whole_objects') oneLoader = { seconds: r.seconds, batches: Math.ceil(r.rows / BATCH) };
        say(`${layout.name}, ${n} loader(s): ${r.rows} rows in ${r.seconds.toFixed(1)} s = ${Math.round(rps)} rows/s`);
      }
      out[layout.name] = figures;
    }
    const fence = await fenceMs(stack.config());
    const perBatch = (oneLoader.seconds * 1000) / oneLoader.batches;
    say(`the fence costs ${fence.toFixed(3)} ms per batch transaction; one loader spends ${perBatch.toFixed(1)} ms per batch`);
    const result = { rows: ROWS, batch_size: BATCH, object_count: OBJECTS, range_mb: RANGE_BYTES / 2 ** 20, ...out, fence_ms_per_batch: +fence.toFixed(3), lease_overhead_at_one: +(fence / perBatch).toFixed(4), server: sizing };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench('scale', main);
