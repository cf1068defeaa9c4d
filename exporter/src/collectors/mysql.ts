// The three MySQL-backed collectors. Each reads aggregates the loader and reconciler keep
// small on purpose: the ledger has one row per batch and dead letters one per rejected
// input row, so a scrape costs O(batches + rejects), never a scan of the violations table.
import type { RowDataPacket } from 'mysql2/promise';
import { REJECT_REASONS, RECONCILE_OUTCOMES, TABLES } from '@pipewarden/core';
import { num, one, type Collector, type Sample } from '../collector';
import type { MysqlClient } from '../clients';

/** rows loaded and duplicated, batches committed: one SUM over batch_ledger. */
export function ledgerCollector(db: MysqlClient): Collector {
  return {
    name: 'ledger',
    metrics: ['rowsLoaded', 'rowsDuplicate', 'batchesCommitted'],
    async collect() {
      const [row] = await db.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS batches, SUM(rows_inserted) AS inserted, SUM(rows_duplicate) AS duplicate FROM \`${TABLES.ledger}\``,
      );
      return { batchesCommitted: one(num(row.batches)), rowsLoaded: one(num(row.inserted)), rowsDuplicate: one(num(row.duplicate)) };
    },
  };
}

/**
 * Rejected rows by reason (GROUP BY over the reason index). Every known reason is
 * published, 0 included, so rate() and alerts see a series before the first reject; a
 * reason outside the spec (a foreign writer) is folded into "other" to keep the label
 * bounded.
 */
export function deadLetterCollector(db: MysqlClient): Collector {
  return {
    name: 'dead_letters',
    metrics: ['rowsRejected'],
    async collect() {
      const rows = await db.query<RowDataPacket[]>(`SELECT reason, COUNT(*) AS n FROM \`${TABLES.deadLetters}\` GROUP BY reason`);
      const byReason = new Map<string, number>(REJECT_REASONS.map((r) => [r, 0]));
      const known = new Set<string>(REJECT_REASONS);
      for (const r of rows) {
        const reason = known.has(String(r.reason)) ? String(r.reason) : 'other';
        byReason.set(reason, (byReason.get(reason) ?? 0) + num(r.n));
      }
      return { rowsRejected: [...byReason].map(([reason, value]) => ({ labels: { reason }, value })) };
    },
  };
}

/**
 * reconcile_runs: runs by outcome, rows repaired, and the last finished real (not dry)
 * run's time, success and rows. With no finished run the last-run gauges are absent.
 */
export function reconcileCollector(db: MysqlClient): Collector {
  return {
    name: 'reconcile_runs',
    metrics: ['reconcileRuns', 'rowsRepaired', 'lastReconcileTimestamp', 'lastReconcileSuccess', 'lastReconcileRowsInserted'],
    async collect() {
      const t = `\`${TABLES.reconcileRuns}\``;
      const [byOutcome, [repaired], last] = await Promise.all([
        db.query<RowDataPacket[]>(`SELECT outcome, COUNT(*) AS n FROM ${t} WHERE finished_at IS NOT NULL GROUP BY outcome`),
        db.query<RowDataPacket[]>(`SELECT SUM(rows_inserted) AS n FROM ${t} WHERE dry_run = 0`),
        db.query<RowDataPacket[]>(
          // UNIX_TIMESTAMP reads the DATETIME in the session time zone, the one NOW(3) wrote it
          // in (the reconciler sets finished_at = NOW(3)), whatever the server's zone is.
          `SELECT outcome, rows_inserted, UNIX_TIMESTAMP(finished_at) AS finished FROM ${t} WHERE finished_at IS NOT NULL AND dry_run = 0 ORDER BY finished_at DESC LIMIT 1`,
        ),
      ]);
      const runs = new Map<string, number>(RECONCILE_OUTCOMES.map((o) => [o, 0]));
      for (const r of byOutcome) if (runs.has(String(r.outcome))) runs.set(String(r.outcome), num(r.n));
      const out = {
        reconcileRuns: [...runs].map(([outcome, value]): Sample => ({ labels: { outcome }, value })),
        rowsRepaired: one(num(repaired.n)),
      };
      const l = last[0];
      if (!l) return out;
      return {
        ...out,
        lastReconcileTimestamp: one(num(l.finished)),
        lastReconcileSuccess: one(l.outcome === 'success' || l.outcome === 'nothing_to_do' ? 1 : 0),
        lastReconcileRowsInserted: one(num(l.rows_inserted)),
      };
    },
  };
}
