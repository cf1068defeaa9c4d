// The repair phase: the plan's batches in source order, each given the rows MySQL lacks
// (./plan's batchRepairRows) and handed to the run's BatchWriter. A real run's writes it
// (writeBatch: the transaction and the batch's check); a dry run's writes nothing, so the
// rows counted missing are its report.
import type { Pool } from 'mysql2/promise';
import {
  RUN_BATCH_DETAILS_MAX,
  formatChecksum,
  keysPresent,
  keyTuples,
  parseChecksum,
  serverKeyChecksum,
  splitTsv,
  writeBatchTx,
  type BatchRepair,
  type IntentRecord,
  type KeyTuple,
  type Logger,
  type ReconcileProgress,
  type ReconcileReport,
  type ResolvedSpec,
  type RowRules,
  type WriteMethod,
} from '@pipewarden/core';
import type { BatchRows, BatchToFetch, RowFetcher } from './batch-rows';
import type { RepairPlan } from './find-missing';
import { batchRepairRows, keylessBatchVerified } from './plan';

/** The run's MySQL: its pool, and how it writes rows (LOAD DATA or INSERT). */
export interface RunMysql {
  pool: Pool;
  method: WriteMethod;
}

/** One batch as the repair phase hands it over: what to write, and how to check it. */
export interface BatchWrite {
  intent: IntentRecord;
  rows: BatchRows;
  /** The lines to send (batchRepairRows). */
  toInsert: readonly string[];
  /** The batch's distinct keys (key text → the key's values); undefined for a keyless dataset. */
  keys: Map<string, KeyTuple> | undefined;
  /** The batch's entry in the report; the write sets its rowsInserted. */
  detail: BatchRepair;
}

/** What the repair phase does to the world: a real run writes each batch, a dry run nothing. */
export interface BatchWriter {
  /** WAL intents in doubt whose batch the ledger has: settled without rows. */
  resolvedFromLedger(ids: readonly string[]): Promise<void>;
  /** Returns whether the batch verified. */
  writeBatch(b: BatchWrite): Promise<boolean>;
}

export interface RepairInput {
  plan: RepairPlan;
  /** Where the batches' keys are looked up. */
  pool: Pick<Pool, 'query'>;
  /** The dataset: its table, key and duplicate policy decide what a repair writes. */
  spec: ResolvedSpec;
  rules: RowRules;
  fetcher: Pick<RowFetcher, 'rows'>;
  writer: BatchWriter;
  /** Gains each batch's counts and detail. */
  report: ReconcileReport;
  step: (p: Partial<ReconcileProgress>) => void;
  /** Throws when the run was cancelled; called before each batch. */
  checkCancelled: () => void;
}

/**
 * Batches in source order, each getting the rows MySQL lacks (batchRepairRows: by duplicate
 * policy, and `claimed` across the run). Returns whether every repaired batch verified.
 */
export async function repair(input: RepairInput): Promise<boolean> {
  const { plan, report, writer, step } = input;
  step({ phase: 'repair', batchesTotal: plan.items.length });
  await writer.resolvedFromLedger(plan.resolvedFromLedger);
  const claimed = new Set<string>();
  let verified = true;
  let done = 0;
  for (const item of plan.items) {
    input.checkCancelled();
    const batch = await batchWrite(input, item, claimed);
    report.rowsMissing += batch.detail.rowsMissing;
    verified = (await writer.writeBatch(batch)) && verified;
    if (report.batches.length < RUN_BATCH_DETAILS_MAX) report.batches.push(batch.detail);
    step({ batchesDone: ++done, rowsMissing: report.rowsMissing, rowsInserted: report.rowsInserted });
  }
  return verified;
}

/** The batch's rows fetched, and those MySQL lacks chosen. */
async function batchWrite({ pool, spec, rules, fetcher }: RepairInput, item: BatchToFetch, claimed: Set<string>): Promise<BatchWrite> {
  const rows = await fetcher.rows(item);
  const lines = splitTsv(rows.tsv.toString('utf8'));
  const keys = spec.key.length > 0 ? distinctKeys(spec, rules, lines) : undefined;
  const lacking = keys && (await lackingKeys(pool, spec, keys));
  const { toInsert, missing } = batchRepairRows(lines, lacking, spec.duplicates, claimed, (l) => rules.keyOfLine(l));
  const { key: sourceKey, firstRecord, records } = item.intent.src;
  return { intent: item.intent, rows, toInsert, keys, detail: { batchId: item.id, sourceKey, firstRecord, records, source: rows.source, rowsMissing: missing, rowsInserted: 0 } };
}

/** Distinct keys of a batch's lines (key text → the lines' key values), in first-seen order. */
function distinctKeys(spec: ResolvedSpec, rules: RowRules, lines: readonly string[]): Map<string, KeyTuple> {
  const firstSeen = new Map<string, string>();
  for (const line of lines) {
    const k = rules.keyOfLine(line);
    if (!firstSeen.has(k)) firstSeen.set(k, line);
  }
  const tuples = keyTuples(spec, [...firstSeen.values()]);
  return new Map([...firstSeen.keys()].map((k, i) => [k, tuples[i]]));
}

/** The keys (key texts) the table lacks. */
async function lackingKeys(pool: Pick<Pool, 'query'>, spec: ResolvedSpec, keys: Map<string, KeyTuple>): Promise<Set<string>> {
  const present = await keysPresent(pool, spec, [...keys.values()]);
  return new Set([...keys.keys()].filter((k) => !present.has(k)));
}

/** Where a real run writes: its MySQL, for the pipeline's dataset. */
export interface WriteTarget extends RunMysql {
  spec: ResolvedSpec;
  pipeline: string;
  log: Logger;
}

/**
 * One batch's rows, dead letters and ledger row in one transaction; then its check: the
 * keys' count and checksum computed by MySQL against the intent's, or, keyless, that every
 * row went in with the ledger row (keylessBatchVerified). Sets the batch's rowsInserted;
 * returns whether it verified.
 */
export async function writeBatch(target: WriteTarget, b: BatchWrite): Promise<boolean> {
  const conn = await target.pool.getConnection();
  let written = true;
  try {
    const tx = await writeBatchTx(conn, { spec: target.spec, intent: b.intent, tsv: Buffer.from(b.toInsert.map((l) => l + '\n').join(''), 'utf8'), rejects: b.rows.rejects, committedBy: 'reconciler', method: target.method, pipeline: target.pipeline });
    b.detail.rowsInserted = tx.inserted;
    written = tx.written;
  } finally {
    conn.release();
  }
  return verifyBatch(target, b, written);
}

async function verifyBatch({ pool, spec, log }: WriteTarget, { intent, keys, toInsert, detail }: BatchWrite, written: boolean): Promise<boolean> {
  if (!keys) {
    const ok = keylessBatchVerified({ written, inserted: detail.rowsInserted, sent: toInsert.length });
    if (!ok) log.error('batch verification failed', { batch: intent.id, expected: `${toInsert.length} rows`, got: `${detail.rowsInserted} inserted` });
    return ok;
  }
  const expected = parseChecksum(intent.check);
  const got = await serverKeyChecksum(pool, spec, [...keys.values()]);
  const ok = got.count === expected.count && got.crcSum === expected.crcSum;
  if (!ok) log.error('batch verification failed', { batch: intent.id, expected: intent.check, got: formatChecksum(got) });
  return ok;
}
