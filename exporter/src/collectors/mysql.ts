// The three MySQL-backed collectors. Each reads aggregates the loader and reconciler keep
// small on purpose: the ledger has one row per batch and dead letters one per rejected
// input row, so a scrape costs O(batches + rejects), never a scan of a dataset's table.
// Every figure is per pipeline (the `pipeline` column of migration 4), every configured
// pipeline present from the first scrape.
import type { RowDataPacket } from 'mysql2/promise';
import { REJECT_REASONS, RECONCILE_OUTCOMES, deadLetterCounts, ledgerTotals, runHistoryFigures } from '@pipewarden/core';
import { num, type Collector, type Sample } from '../collector';
import type { MysqlClient } from '../clients';
import { PerPipeline } from '../pipelines';

/** rows loaded and duplicated, batches committed: one SUM over batch_ledger per pipeline. */
export function ledgerCollector(db: MysqlClient, pipelines: readonly string[]): Collector {
  return {
    name: 'ledger',
    metrics: ['rowsLoaded', 'rowsDuplicate', 'batchesCommitted'],
    async collect() {
      const rows = await ledgerTotals((sql) => db.query<RowDataPacket[]>(sql));
      const by = new PerPipeline(pipelines, () => ({ batches: 0, inserted: 0, duplicate: 0 }));
      for (const r of rows) Object.assign(by.get(String(r.pipeline)), { batches: num(r.batches), inserted: num(r.inserted), duplicate: num(r.duplicate) });
      return { batchesCommitted: by.samples((v) => v.batches), rowsLoaded: by.samples((v) => v.inserted), rowsDuplicate: by.samples((v) => v.duplicate) };
    },
  };
}

/**
 * Rejected rows by pipeline and reason. Every known reason of every pipeline is published,
 * 0 included, so rate() and alerts see a series before the first reject; a reason outside
 * the contract (a foreign writer) is folded into "other" to keep the label bounded.
 */
export function deadLetterCollector(db: MysqlClient, pipelines: readonly string[]): Collector {
  return {
    name: 'dead_letters',
    metrics: ['rowsRejected'],
    async collect() {
      const rows = await deadLetterCounts((sql) => db.query<RowDataPacket[]>(sql));
      const known = new Set<string>(REJECT_REASONS);
      const by = new PerPipeline(pipelines, () => new Map<string, number>(REJECT_REASONS.map((r) => [r, 0])));
      for (const r of rows) {
        const reasons = by.get(String(r.pipeline));
        const reason = known.has(String(r.reason)) ? String(r.reason) : 'other';
        reasons.set(reason, (reasons.get(reason) ?? 0) + num(r.n));
      }
      return {
        rowsRejected: by.entries().flatMap(([pipeline, reasons]) => [...reasons].map(([reason, value]): Sample => ({ labels: { pipeline, reason }, value }))),
      };
    },
  };
}

/**
 * reconcile_runs per pipeline: runs by outcome, rows repaired, and the last finished real
 * (not dry) run's time, success and rows. A pipeline with no finished run has no last-run
 * gauges (an absent series is honest; a made-up time is not).
 */
export function reconcileCollector(db: MysqlClient, pipelines: readonly string[]): Collector {
  return {
    name: 'reconcile_runs',
    metrics: ['reconcileRuns', 'rowsRepaired', 'lastReconcileTimestamp', 'lastReconcileSuccess', 'lastReconcileRowsInserted'],
    async collect() {
      const { byOutcome, repaired, last } = await runHistoryFigures((sql) => db.query<RowDataPacket[]>(sql));
      const runs = new PerPipeline(pipelines, () => ({ outcomes: new Map<string, number>(RECONCILE_OUTCOMES.map((o) => [o, 0])), repaired: 0 }));
      for (const r of byOutcome) {
        const outcomes = runs.get(String(r.pipeline)).outcomes;
        if (outcomes.has(String(r.outcome))) outcomes.set(String(r.outcome), num(r.n));
      }
      for (const r of repaired) runs.get(String(r.pipeline)).repaired = num(r.n);
      const lasts = last.map((l) => ({ pipeline: String(l.pipeline), l }));
      return {
        reconcileRuns: runs.entries().flatMap(([pipeline, v]) => [...v.outcomes].map(([outcome, value]): Sample => ({ labels: { pipeline, outcome }, value }))),
        rowsRepaired: runs.samples((v) => v.repaired),
        lastReconcileTimestamp: lasts.map(({ pipeline, l }) => ({ labels: { pipeline }, value: num(l.finished) })),
        lastReconcileSuccess: lasts.map(({ pipeline, l }) => ({ labels: { pipeline }, value: l.outcome === 'success' || l.outcome === 'nothing_to_do' ? 1 : 0 })),
        lastReconcileRowsInserted: lasts.map(({ pipeline, l }) => ({ labels: { pipeline }, value: num(l.rows_inserted) })),
      };
    },
  };
}
