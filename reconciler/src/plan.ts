// The reconciler's decisions, as pure functions: which batches to look at, in which order to
// repair them, which rows of a batch to insert and how many it lacks, whether a keyless batch
// verified, and what the run's outcome is. Kept apart from the I/O so each rule is tested in
// milliseconds (reconciler/test/plan.test.ts).
import { RUN_BATCH_DETAILS_MAX, type DuplicatePolicy, type IntentRecord, type ReconcileOutcome, type ReconcileReport, type ReconcileTrigger, type SourceRange } from '@pipewarden/core';

/**
 * Every batch the run must check against the ledger: each intent still in the WAL — in
 * doubt or committed, because a MySQL with relaxed durability (innodb_flush_log_at_trx_commit
 * 0 or 2) can lose commits it acknowledged — plus every batch in the mirror. WAL intents
 * come first, in log order; mirror-only ids (the WAL pruned their segment) follow.
 */
export function candidateIds(walIntents: ReadonlyMap<string, IntentRecord>, mirrored: readonly string[]): string[] {
  const ids = [...walIntents.keys()];
  for (const id of mirrored) if (!walIntents.has(id)) ids.push(id);
  return ids;
}

/** The candidates the ledger lacks: the batches to repair. */
export function incomplete(candidates: readonly string[], inLedger: ReadonlySet<string>): string[] {
  return candidates.filter((id) => !inLedger.has(id));
}

/** Source order: by object key, then by first record, as the loader reads them. */
export function compareSource(a: SourceRange, b: SourceRange): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.firstRecord - b.firstRecord;
}

/**
 * Batches to repair, in source order. The load keeps a repeated key's first occurrence
 * (its sink lets a later batch commit before an earlier one only when they share no key),
 * so the repair must insert earlier batches first: a later batch's row would otherwise take
 * the key before the earlier batch's row gets there.
 */
export function inSourceOrder<T extends { intent: IntentRecord }>(batches: readonly T[]): T[] {
  return [...batches].sort((a, b) => compareSource(a.intent.src, b.intent.src));
}

/**
 * The lines of one batch to insert: those whose key MySQL lacks, first occurrence only —
 * within the batch, and across the run: `claimed` holds the keys earlier batches of this run
 * inserted (or, in a dry run, would insert), and gains this batch's keys. A dry run writes
 * nothing, so without it a key missing from two batches would be counted twice.
 * `keyOf` is the dataset's rules.keyOfLine (the key may be composite, and not first).
 * Under `first` only; `last` repairs send the whole batch (the upsert's position guard keeps
 * later rows), and a keyless batch goes in whole.
 */
export function firstOccurrences(lines: readonly string[], missing: ReadonlySet<string>, claimed: Set<string>, keyOf: (line: string) => string): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const key = keyOf(line);
    if (!missing.has(key) || claimed.has(key)) continue;
    claimed.add(key);
    out.push(line);
  }
  return out;
}

/** What one batch's repair sends, and how many of the batch's rows MySQL lacks (the report's rowsMissing). */
export interface BatchRepairRows {
  toInsert: readonly string[];
  missing: number;
}

/**
 * The rows one batch's repair sends, by duplicate policy. `lacking`: the batch's keys the
 * table lacks (undefined: the dataset has no key); `claimed` as for firstOccurrences.
 * - first: the lines whose key the table lacks, first occurrence per key across the run
 *   (earlier batches first, so a later batch's row never takes a key first);
 * - last: the whole batch; each row's source position decides against the row the table
 *   has (a later batch's newer row stays), so the order of repairs does not matter. Each
 *   lacking key is counted missing once across the run (a dry run writes nothing in between);
 * - keep (keyless): the whole batch: the ledger lacks it, and a batch commits whole with its
 *   ledger row, so none of its rows are in the table.
 */
export function batchRepairRows(lines: readonly string[], lacking: ReadonlySet<string> | undefined, duplicates: DuplicatePolicy, claimed: Set<string>, keyOf: (line: string) => string): BatchRepairRows {
  if (!lacking) return { toInsert: lines, missing: lines.length };
  if (duplicates !== 'last') {
    const toInsert = firstOccurrences(lines, lacking, claimed, keyOf);
    return { toInsert, missing: toInsert.length };
  }
  let missing = 0;
  for (const k of lacking) {
    if (claimed.has(k)) continue;
    claimed.add(k);
    missing++;
  }
  return { toInsert: lines, missing };
}

/**
 * A keyless batch's check: its rows carry no batch id to recount them by, so every row sent
 * must have gone in with the ledger row. Not written: the ledger had the batch already (its
 * rows came with it).
 */
export function keylessBatchVerified(b: { written: boolean; inserted: number; sent: number }): boolean {
  return !b.written || b.inserted === b.sent;
}

export interface RunFacts {
  /** Every repaired batch's count and checksum matched its intent. */
  verified: boolean;
  batchesRepaired: number;
  /** WAL intents in doubt that the run resolved from the ledger (no rows needed). */
  resolvedFromLedger: number;
}

/** A real run's outcome from what it did (a dry run's is always 'dry_run'). */
export function runOutcome(f: RunFacts): ReconcileOutcome {
  if (!f.verified) return 'failed';
  return f.batchesRepaired > 0 || f.resolvedFromLedger > 0 ? 'success' : 'nothing_to_do';
}

/** The facts of a run that has done nothing yet: its report starts from their verdict, until its verify phase. */
export const NOTHING_DONE: RunFacts = { verified: true, batchesRepaired: 0, resolvedFromLedger: 0 };

/**
 * The run's verification and outcome from what it did: a dry run checks nothing ('skipped')
 * and its outcome is 'dry_run'; a real run's verification is whether every batch verified.
 */
export function runVerdict(dryRun: boolean, f: RunFacts): Pick<ReconcileReport, 'verification' | 'outcome'> {
  if (dryRun) return { verification: 'skipped', outcome: 'dry_run' };
  return { verification: f.verified ? 'ok' : 'failed', outcome: runOutcome(f) };
}

// Pipelines (core/src/pipelines.ts): a job reconciles one pipeline or every one, one after the other.

/**
 * How bad an outcome is, for a job over several pipelines: a failure anywhere is the job's
 * outcome (a loader stays paused); else a dry run is a dry run; else repairs anywhere make it
 * a success; nothing_to_do only when no pipeline needed anything.
 */
const OUTCOME_RANK: Record<ReconcileOutcome, number> = { nothing_to_do: 0, success: 1, dry_run: 2, failed: 3 };

/** The worst of the pipelines' outcomes (see OUTCOME_RANK); with none, nothing to do (or a dry run's). */
export function worstOutcome(outcomes: readonly ReconcileOutcome[], dryRun: boolean): ReconcileOutcome {
  let worst: ReconcileOutcome = dryRun ? 'dry_run' : 'nothing_to_do';
  for (const o of outcomes) if (OUTCOME_RANK[o] > OUTCOME_RANK[worst]) worst = o;
  return worst;
}

/**
 * The report of a job over every pipeline: counts summed, the worst outcome and verification,
 * the loader restarted only if every pipeline's was, batch details up to the cap, each
 * pipeline's own report in `pipelines`.
 */
export function aggregateReport(head: { runId: string; dryRun: boolean; trigger: ReconcileTrigger; durationSeconds: number }, reports: readonly ReconcileReport[]): ReconcileReport {
  const sum = (f: (r: ReconcileReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  const failed = reports.filter((r) => r.outcome === 'failed');
  const loaderErrors = reports.filter((r) => r.loaderError).map((r) => `${r.pipeline}: ${r.loaderError}`);
  return {
    runId: head.runId,
    pipeline: null,
    pipelines: [...reports],
    dryRun: head.dryRun,
    trigger: head.trigger,
    batchesExamined: sum((r) => r.batchesExamined),
    batchesRepaired: sum((r) => r.batchesRepaired),
    rowsMissing: sum((r) => r.rowsMissing),
    rowsInserted: sum((r) => r.rowsInserted),
    verification: reports.some((r) => r.verification === 'failed') ? 'failed' : head.dryRun ? 'skipped' : 'ok',
    outcome: worstOutcome(reports.map((r) => r.outcome), head.dryRun),
    durationSeconds: head.durationSeconds,
    loaderRestarted: reports.length > 0 && reports.every((r) => r.loaderRestarted),
    ...(loaderErrors.length > 0 && { loaderError: loaderErrors.join('; ') }),
    ...(failed.length > 0 && { error: failedPipelinesMessage(failed) }),
    batches: reports.flatMap((r) => r.batches).slice(0, RUN_BATCH_DETAILS_MAX),
  };
}

/** "pipeline a: why; pipeline b: why" for the failed pipelines of a job. */
function failedPipelinesMessage(failed: readonly ReconcileReport[]): string {
  return failed.map((r) => `pipeline ${r.pipeline}: ${r.error ?? 'verification failed: see the reconciler log'}`).join('; ');
}

/**
 * The one pipeline a job must cover when only some need it (the watchdog's findings, an
 * alert's `pipeline` labels): that pipeline when exactly one known pipeline is named,
 * every pipeline (null) otherwise — also when a name is missing or unknown, on the safe side.
 */
export function jobPipeline(named: readonly (string | undefined)[], names: readonly string[]): string | null {
  const distinct = new Set(named);
  if (distinct.size !== 1) return null;
  const [only] = distinct;
  return only !== undefined && names.includes(only) ? only : null;
}
