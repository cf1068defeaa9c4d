// Shared pieces of the benchmarks: flags (and --help), medians, letting InnoDB settle between
// phases (a phase right after a load is ~20% slower while InnoDB flushes), peak RSS of a child.
import { readFileSync } from 'node:fs';
import type { Connection, RowDataPacket } from 'mysql2/promise';

/**
 * A benchmark's numeric flag: `--name N` (a positive number, underscores allowed), or `def`.
 * Every benchmark reads a flag before it starts anything, so --help (-h) is answered here:
 * see usageOnHelp.
 */
export function flag(args: string[], name: string, def: number): number {
  usageOnHelp(args);
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(String(args[i + 1]).replace(/_/g, ''));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

/**
 * With --help or -h among `args`: the running benchmark's head comment (what it measures, its
 * flags, its targets) on stdout, and exit 0 before any service starts.
 */
function usageOnHelp(args: readonly string[]): void {
  if (!args.includes('--help') && !args.includes('-h')) return;
  const lines = readFileSync(process.argv[1], 'utf8').split('\n');
  const end = lines.findIndex((l) => !l.startsWith('//'));
  const head = lines.slice(0, end < 0 ? lines.length : end).map((l) => l.replace(/^\/\/ ?/, ''));
  process.stdout.write(`${head.join('\n')}\n`);
  process.exit(0);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function log(bench: string, msg: string): void {
  process.stderr.write(`[bench:${bench}] ${msg}\n`);
}

/** Wait until InnoDB has flushed most dirty pages (at most `maxMs`). */
export async function settleInnoDb(conn: Connection, maxMs = 60000): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const [rows] = await conn.query<RowDataPacket[]>("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_pages_dirty', 'Innodb_buffer_pool_pages_total')");
    const v = Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
    if (v.Innodb_buffer_pool_pages_dirty < 0.01 * v.Innodb_buffer_pool_pages_total || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Peak resident set size of a process so far (VmHWM), in bytes; 0 when it is gone. */
export function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Run a benchmark's main: a failure prints its stack and exits 1 (a benchmark that fails says so). */
export function runBench(name: string, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`bench:${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
