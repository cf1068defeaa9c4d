// The invariants. A command either finishes (exit 0) with the table equal to the source,
// or stops with a clear message (non-zero exit, "pipewarden: …", no stack trace). A load
// that finishes with a difference is the one outcome that must never happen.
import type { RowDataPacket } from 'mysql2';
import { TABLES, connect } from '@pipewarden/core';
import { rowsMatch, verifyTable, type VerifyReport } from '@pipewarden/loader';
import { sleep } from '@pipewarden/stack';
import { hasStackTrace, type Exit } from './procs';
import type { TrialContext, ViolationKind } from './context';

export function violate(ctx: TrialContext, kind: ViolationKind, where: string, detail: string, v?: VerifyReport): void {
  const rowsLost = v?.lost ?? 0;
  const rowsDuplicated = v ? v.duplicated + v.unexpected : 0;
  ctx.violations.push({ kind, where, detail, rowsLost, rowsDuplicated });
  ctx.log.push(`VIOLATION ${kind} at ${where}: ${detail}`);
}

function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/**
 * Judge how a command ended. Returns 'finished' (exit 0), 'stopped' (a clear error or a
 * kill the nemesis caused) or 'bad' (a violation was recorded).
 */
export function judgeExit(ctx: TrialContext, where: string, e: Exit, killedByNemesis: boolean): 'finished' | 'stopped' | 'bad' {
  ctx.log.push(`${where}: ${e.timedOut ? 'TIMED OUT' : e.signal ? `killed (${e.signal})` : `exit ${e.status}`}${e.status ? ` — ${lastLines(e.stderr, 3)}` : ''}`);
  if (e.timedOut) {
    violate(ctx, 'hang', where, `no exit before the timeout; stderr: ${lastLines(e.stderr, 20)}`);
    return 'bad';
  }
  if (hasStackTrace(e.stderr)) {
    violate(ctx, 'stack-trace', where, lastLines(e.stderr, 12));
    return 'bad';
  }
  if (e.signal !== null) return killedByNemesis || e.stderr.includes('fault injection') ? 'stopped' : (violate(ctx, 'hang', where, `died of ${e.signal}`), 'bad');
  if (e.status === 0) {
    ctx.log.push(`${where}: summary ${lastLines(e.stdout, 1).slice(0, 600)}`);
    return 'finished';
  }
  if (e.status === 70) {
    violate(ctx, 'unexpected-error', where, lastLines(e.stderr));
    return 'bad';
  }
  if (e.status === 3) {
    violate(ctx, 'unbalanced', where, `the summary does not balance: ${lastLines(e.stdout, 3)}`);
    return 'bad';
  }
  if (!/pipewarden: \S/.test(e.stderr)) {
    violate(ctx, 'no-message', where, `exit ${e.status} without a message: ${lastLines(e.stderr)}`);
    return 'bad';
  }
  return 'stopped';
}

async function allDeadLetters(ctx: TrialContext): Promise<number> {
  const c = await connect(ctx.stack.config());
  try {
    const [[row]] = await c.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${TABLES.deadLetters}\``);
    return Number(row.n);
  } finally {
    await c.end();
  }
}

/** Verify the table against the source (direct connections, not the proxies), retrying while a service restarts. */
export async function verifyNow(ctx: TrialContext, sourceUrl = ctx.source.url): Promise<VerifyReport> {
  const config = ctx.stack.config();
  let last: unknown;
  for (let i = 0; i < 30; i++) {
    try {
      return await verifyTable(config, sourceUrl);
    } catch (e) {
      last = e;
      await sleep(1000);
    }
  }
  throw new Error(`verify could not run: ${(last as Error).message}`);
}

function describe(v: VerifyReport): string {
  return `table ${v.tableRows} rows for ${v.sourceDistinctKeys} source keys; lost ${v.lost}, unexpected ${v.unexpected}, values differing ${v.mismatched}, later occurrence kept ${v.notFirst}, duplicated ${v.duplicated}, dead letters ${v.deadLetters}/${v.sourceRejected}${v.sampleLost.length ? ` (lost e.g. ${v.sampleLost.slice(0, 3).join(', ')})` : ''}`;
}

/** After a command finished: the table must equal the source (or, after a replacement, the version it listed). */
export async function checkFinished(ctx: TrialContext, where: string): Promise<'current' | 'old' | 'different'> {
  const v = await verifyNow(ctx);
  if (v.ok) return 'current';
  if (ctx.oldVersionDir) {
    // The old version survives only as local files, whose (key, ETag) no ledger row names:
    // verify counts dead letters per source version, so count them over the whole table.
    const old = await verifyNow(ctx, ctx.oldVersionDir);
    if (rowsMatch(old) && (await allDeadLetters(ctx)) === old.sourceRejected) {
      ctx.log.push(`${where}: finished with the version it listed before the replacement`);
      return 'old';
    }
  }
  violate(ctx, 'finished-with-difference', where, describe(v), v);
  return 'different';
}

export { describe as describeVerify };
