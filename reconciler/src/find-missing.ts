// The find phase: every batch the WAL or the mirror knows, checked against the ledger. The
// batches the ledger lacks are the run's repair plan, in source order (the decisions are
// ./plan's: which batches are candidates, which are incomplete, in what order).
import type Redis from 'ioredis';
import type { Pool } from 'mysql2/promise';
import { errorMessage, ledgerHasAny, listMirror, type Logger, type MirrorKeys, type WalState } from '@pipewarden/core';
import { rowsFromMirror, type BatchToFetch } from './batch-rows';
import { candidateIds, inSourceOrder, incomplete } from './plan';

export interface RepairPlan {
  /** The batches the ledger lacks, in source order. */
  items: BatchToFetch[];
  /** WAL intents in doubt whose batch the ledger has: the commit record was lost, not the data. */
  resolvedFromLedger: string[];
  /** How many batches were checked against the ledger. */
  examined: number;
}

export interface FindInput {
  /** The WAL, read once with the loader paused and every loader held (a real run). */
  wal: WalState;
  pool: Pool;
  /** The mirror, when Redis answered. */
  redis: Redis | undefined;
  keys: MirrorKeys;
  log: Logger;
  /** For the log line only: a dry run finds exactly what a real run would. */
  dryRun: boolean;
}

/**
 * Every batch the WAL or the mirror knows, checked against the ledger. Committed batches
 * count too: MySQL at innodb_flush_log_at_trx_commit 0 or 2 loses acknowledged commits in
 * a power cut, and the WAL's commit record then proves nothing.
 */
export async function findMissing({ wal, pool, redis, keys, log, dryRun }: FindInput): Promise<RepairPlan> {
  const { intents: walIntents, inDoubt } = wal;
  const mirrored = redis ? await listMirrored(redis, keys, log) : [];
  const candidates = candidateIds(walIntents, mirrored);
  const inLedger = await ledgerHasAny(pool, candidates);
  const items: BatchToFetch[] = [];
  for (const id of incomplete(candidates, inLedger)) {
    const intent = walIntents.get(id);
    items.push(intent ? { id, intent } : await mirrorOnly(redis, keys, id, log));
  }
  const plan: RepairPlan = { items: inSourceOrder(items), resolvedFromLedger: [...inDoubt.keys()].filter((id) => inLedger.has(id)), examined: candidates.length };
  log.info('batches examined', { examined: candidates.length, walIntents: walIntents.size, inDoubt: inDoubt.size, mirrored: mirrored.length, toRepair: items.length, dryRun });
  return plan;
}

/** Batch ids in the mirror; none when Redis fails now (the WAL's intents are still checked). */
async function listMirrored(redis: Redis, keys: MirrorKeys, log: Logger): Promise<string[]> {
  try {
    return await listMirror(redis, keys);
  } catch (e) {
    log.warn('cannot list the Redis mirror; checking the WAL intents only', { error: errorMessage(e) });
    return [];
  }
}

/** A batch known only to the mirror: its entry carries the intent, and the rows with it. */
async function mirrorOnly(redis: Redis | undefined, keys: MirrorKeys, id: string, log: Logger): Promise<BatchToFetch> {
  const rows = await rowsFromMirror(redis, keys, id, log);
  if (!rows?.intent) throw new Error(`batch ${id} is in the mirror index but its entry is unreadable, and the WAL no longer has its intent`);
  return { id, intent: rows.intent, rows };
}
