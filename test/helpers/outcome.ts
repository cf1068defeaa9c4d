// What a load left, compared across loads of the same rows in other formats: the NYC table's
// checksum and row count, the dead letters, and `verify` finding the table exact.
import type { Config } from '@pipewarden/core';
import { verifyTable } from '@pipewarden/loader';
import { query as q } from './stack';

export interface Outcome {
  checksum: string;
  rows: number;
  deadLetters: number;
}

export async function outcome(config: Config): Promise<Outcome> {
  const [c] = await q(config, 'CHECKSUM TABLE violations');
  const [[r], [d]] = [await q(config, 'SELECT COUNT(*) AS n FROM violations'), await q(config, 'SELECT COUNT(*) AS n FROM dead_letters')];
  return { checksum: String(c.Checksum), rows: Number(r.n), deadLetters: Number(d.n) };
}

export async function expectExact(config: Config, source: string): Promise<void> {
  const v = await verifyTable(config, source);
  expect({ ok: v.ok, lost: v.lost, duplicated: v.duplicated, unexpected: v.unexpected, notFirst: v.notFirst, mismatched: v.mismatched }).toEqual({ ok: true, lost: 0, duplicated: 0, unexpected: 0, notFirst: 0, mismatched: 0 });
}
