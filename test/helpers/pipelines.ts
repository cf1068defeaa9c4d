// Deployments with several pipelines for the pipelines-*.itest.ts suites: a config file
// with `pipelines` written into the stack's folder, and what the ledger says per pipeline.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RowDataPacket } from 'mysql2';
import { connect, loadConfig, type Config, type PipelineDef } from '@pipewarden/core';
import type { Stack } from '@pipewarden/stack';

/** Write `pipelines` as a YAML config file in the stack's folder; returns its path and the deployment's Config. */
export function pipelinesConfig(stack: Stack, pipelines: PipelineDef[], name = 'pipewarden.yaml'): { file: string; config: Config } {
  const file = join(stack.layout.dir, name);
  writeFileSync(file, stringify({ pipelines }));
  return { file, config: loadConfig({ env: { ...stack.env, PIPEWARDEN_CONFIG: file }, useStackEnv: false }) };
}

export interface LedgerFigures {
  batches: number;
  records: number;
  kept: number;
  rejected: number;
  ids: string[];
}

/** The ledger's batches per pipeline (its rows carry the pipeline that wrote them). */
export async function ledgerByPipeline(config: Config): Promise<Record<string, LedgerFigures>> {
  const c = await connect(config);
  try {
    const [rows] = await c.query<RowDataPacket[]>('SELECT pipeline, batch_id, record_count, rows_kept, rows_rejected FROM batch_ledger ORDER BY pipeline, batch_id');
    const out: Record<string, LedgerFigures> = {};
    for (const r of rows) {
      const f = (out[r.pipeline] ??= { batches: 0, records: 0, kept: 0, rejected: 0, ids: [] });
      f.batches++;
      f.records += Number(r.record_count);
      f.kept += Number(r.rows_kept);
      f.rejected += Number(r.rows_rejected);
      f.ids.push(r.batch_id);
    }
    return out;
  } finally {
    await c.end();
  }
}

/** Dead letters per pipeline. */
export async function deadLettersByPipeline(config: Config): Promise<Record<string, number>> {
  const c = await connect(config);
  try {
    const [rows] = await c.query<RowDataPacket[]>('SELECT pipeline, COUNT(*) AS n FROM dead_letters GROUP BY pipeline');
    return Object.fromEntries(rows.map((r) => [r.pipeline, Number(r.n)]));
  } finally {
    await c.end();
  }
}
