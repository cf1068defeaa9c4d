// Issue 15: a keyless dataset (duplicates: keep). Identical rows are kept as often as the
// source has them; exactly-once comes from the ledger alone (a batch's rows commit with its
// ledger row), so a loader killed before a random batch's commit, reconciled and finished,
// leaves the table equal to the source as a multiset of rows. Also: migrate from a spec
// that gained a column and widened another keeps every stored byte, and refuses a narrowing
// type change or a key change with the column and the reason.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, migrate } from '@pipewarden/core';
import { runLoad, verifyTable } from '@pipewarden/loader';
import { reconcile } from '@pipewarden/reconciler';
import { startTestStack, type TestStack, query as q } from './helpers/stack';
import { runCli } from './helpers/doubt';
import { seeded, writeEvents } from './helpers/datasets';

const FIXTURES = join(__dirname, 'fixtures', 'datasets');
const SPEC = join(FIXTURES, 'events.yaml');

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());


/** The source's rows that must be kept (a valid At), as the multiset the table must equal. */
function expectedRows(lines: string[]): number {
  return lines.slice(1).filter((l) => /^\d{4}-/.test(l)).length;
}

test('a keyless log keeps every row, duplicates included; a loader killed at a random batch, reconciled and finished, leaves exactly the source', async () => {
  const seed = Date.now() % 100000;
  const config = stack.config({ dataset: SPEC, 'batch.size': 50 });
  await stack.resetData(config);
  const dir = join(stack.layout.dir, 'events');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `events-${seed}.csv`);
  const lines = writeEvents(file, 1500, seed);
  const crashAt = 2 + Math.floor(seeded(seed)() * 25);
  const r = runCli(stack, ['load', '--source', file, '--batch-size', '50', '--no-progress', '--json'], { PIPEWARDEN_FAULT: `before-commit:${crashAt}`, PIPEWARDEN_DATASET: SPEC });
  expect(r.signal).toBe('SIGKILL');
  const [before] = await q(config, 'SELECT COUNT(*) AS n FROM events');
  expect(Number(before.n)).toBeLessThan(expectedRows(lines));
  const report = await reconcile(config, { trigger: 'api', restartLoader: false });
  expect(report).toMatchObject({ verification: 'ok' });
  expect(report.batchesRepaired).toBeGreaterThan(0);
  await runLoad(config, { source: file });
  const [after] = await q(config, 'SELECT COUNT(*) AS n FROM events');
  expect(Number(after.n)).toBe(expectedRows(lines));
  const v = await verifyTable(config, file);
  expect(v).toMatchObject({ ok: true, lost: 0, unexpected: 0, tableRows: expectedRows(lines) });
  // A repeated line is in the table as often as in the source.
  const [dup] = await q(config, 'SELECT COUNT(*) AS n FROM (SELECT at, kind, amount, who FROM events GROUP BY at, kind, amount, who HAVING COUNT(*) > 1) d');
  expect(Number(dup.n)).toBeGreaterThan(0);
  // A second load of the same source changes nothing.
  await runLoad(config, { source: file });
  expect((await verifyTable(config, file)).ok).toBe(true);
}, 180000);

test('migrate adds a column and widens one keeping every stored byte; refuses a type change and a key change, naming the column', async () => {
  const config = stack.config({ dataset: SPEC });
  await stack.resetData(config);
  const dir = join(stack.layout.dir, 'events-migrate');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'events.csv');
  writeEvents(file, 300, 3);
  await runLoad(config, { source: file });
  const bytes = async () => (await q(config, "SELECT HEX(CONCAT_WS('|', at, kind, amount, who)) AS h FROM events ORDER BY 1")).map((x) => x.h);
  const stored = await bytes();
  const { writeFileSync, readFileSync } = await import('node:fs');
  const spec = readFileSync(SPEC, 'utf8');
  const v2 = join(dir, 'events-v2.yaml');
  writeFileSync(v2, spec.replace('maxLength: 12}', 'maxLength: 40}').replace('precision: 8, scale: 3}', 'precision: 12, scale: 4}') + "  - {name: site, header: Site, maxLength: 10}\n");
  const dry = await migrate(stack.config({ dataset: v2 }), { dryRun: true });
  expect(dry.dryRun).toEqual(['ALTER TABLE `events` MODIFY COLUMN `amount` DECIMAL(12,4) NULL', 'ALTER TABLE `events` MODIFY COLUMN `who` VARCHAR(40) NULL', 'ALTER TABLE `events` ADD COLUMN `site` VARCHAR(10) NULL']);
  const r = await migrate(stack.config({ dataset: v2 }));
  expect(r.dataset.changes.map((c) => [c.what, c.algorithm])).toEqual([
    ['column amount: decimal(8,3) → DECIMAL(12,4)', undefined],
    ['column who: varchar(12) → VARCHAR(40)', undefined],
    ['add column site VARCHAR(10) NULL', 'INSTANT'],
  ]);
  // Widening a decimal's scale appends zeros: compare the stored values numerically for amount.
  const after = await q(config, "SELECT HEX(CONCAT_WS('|', at, kind, CAST(amount AS DECIMAL(8,3)), who)) AS h, site FROM events ORDER BY 1");
  expect(after.map((x) => x.h)).toEqual(stored);
  expect(after.every((x) => x.site === null)).toBe(true);
  expect((await migrate(stack.config({ dataset: v2 }))).dataset.changes).toEqual([]);

  const retyped = join(dir, 'events-v3.yaml');
  writeFileSync(retyped, readFileSync(v2, 'utf8').replace("{name: who, header: Who, maxLength: 40}", '{name: who, header: Who, type: integer}'));
  await expect(migrate(stack.config({ dataset: retyped }))).rejects.toThrow(/column who: the table has VARCHAR\(40\), the spec asks for an integer in .*: a type change that could lose data/);
  const keyed = join(dir, 'events-v4.yaml');
  writeFileSync(keyed, readFileSync(v2, 'utf8').replace('table: events\n', 'table: events\nkey: [at]\n'));
  const e = await migrate(stack.config({ dataset: keyed })).catch((x) => x);
  expect(e).toBeInstanceOf(UserError);
  expect(e.message).toContain("key: the table's primary key is none, the spec's key is (at); a key change is never made in place");
  // Nothing was altered by the refused runs.
  expect((await q(config, "SELECT DATA_TYPE AS t FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'events' AND column_name = 'who'"))[0].t).toBe('varchar');
}, 120000);
