// The reconciler's decisions, as pure functions: which batches to look at, in which order to
// repair them, which rows of a batch to insert, and what the run's outcome is. Kept apart
// from the I/O so each rule is tested in milliseconds (reconciler/test/plan.test.ts).
import { type IntentRecord, type ReconcileOutcome, type SourceRange } from '@pipewarden/core';

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
