// Secondary indexes deferred for an initial load (core/src/db/deferred-indexes.ts), on real
// MariaDB: a load into an empty table drops them and builds them when it finishes, also when
// it was killed and resumed, or when the reconciler ran in between; a table holding rows and
// PIPEWARDEN_MYSQL_DEFER_INDEXES=never keep them throughout.
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { buildMissingIndexes, connect, createPool, datasetOf, readTable, type Config } from '@pipewarden/core';
import { generate, verifyTable } from '@pipewarden/loader';
import { startTestStack, type TestStack } from './helpers/stack';
import { runCli } from './helpers/doubt';

const NYC_INDEXES = ['ix_issue_date', 'ix_violation_code', 'ix_violation_precinct'];

let stack: TestStack;
let config: Config;
let gen: string;
beforeAll(async () => {
  stack = await startTestStack();
  gen = join(stack.layout.dir, 'gen-indexes.csv');
  await generate(gen, { rows: 12000, seed: 21, badShare: 0.01, duplicateShare: 0.01 });
});
afterAll(() => stack?.cleanup());
beforeEach(async () => {
  await stack.resetData();
  config = stack.config({ 'batch.size': 1000 });
});

async function indexes(): Promise<string[]> {
  const c = await connect(config);
  try {
    const [rows] = await c.query<RowDataPacket[]>("SELECT DISTINCT INDEX_NAME AS ix FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'violations' AND INDEX_NAME <> 'PRIMARY'");
    return rows.map((r) => String(r.ix)).sort();
  } finally {
    await c.end();
  }
}

const load = (source: string, env: Record<string, string> = {}) => runCli(stack, ['load', '--source', source, '--batch-size', '1000', '--no-progress', '--json'], env);

async function expectExact(source: string): Promise<void> {
  const v = await verifyTable(config, source);
  expect({ ok: v.ok, lost: v.lost, duplicated: v.duplicated, unexpected: v.unexpected }).toEqual({ ok: true, lost: 0, duplicated: 0, unexpected: 0 });
}

test('an initial load killed mid-way leaves the indexes out; the reconciler repairs, the resumed load builds them', async () => {
  expect(await indexes()).toEqual(NYC_INDEXES);
  const killed = load(gen, { PIPEWARDEN_FAULT: 'before-commit:5' });
  expect(killed.signal).toBe('SIGKILL');
  expect(await indexes()).toEqual([]);
  // pipewarden doctor names them (a warning: the next load builds them).
  const doc = JSON.parse(runCli(stack, ['doctor', '--json']).stdout) as { findings: { check: string; verdict: string; value: string }[] };
  expect(doc.findings.find((f) => f.check === 'secondary indexes')).toMatchObject({ verdict: 'warn', value: 'violations: ix_issue_date, ix_violation_precinct, ix_violation_code' });

  const rec = runCli(stack, ['reconcile', '--json']);
  expect(rec.status).toBe(0);
  expect(await indexes()).toEqual([]);

  const resumed = load(gen);
  expect(resumed.status).toBe(0);
  const summary = JSON.parse(resumed.stdout);
  expect(summary.rows_in).toBe(12000);
  expect([...summary.indexes_built].sort()).toEqual(NYC_INDEXES);
  expect(await indexes()).toEqual(NYC_INDEXES);
  await expectExact(gen);

  // A later load over the same table finds them in place: nothing dropped, nothing built.
  const again = load(gen);
  expect(JSON.parse(again.stdout).indexes_built).toEqual([]);
});

test('a table that holds rows keeps its indexes during a load, and so does any table under defer never', async () => {
  const first = join(stack.layout.dir, 'gen-first.csv');
  await generate(first, { rows: 2000, seed: 22 });
  expect(load(first).status).toBe(0);
  expect(load(gen, { PIPEWARDEN_FAULT: 'before-commit:5' }).signal).toBe('SIGKILL');
  expect(await indexes()).toEqual(NYC_INDEXES);

  await stack.resetData();
  expect(load(gen, { PIPEWARDEN_FAULT: 'before-commit:5', PIPEWARDEN_MYSQL_DEFER_INDEXES: 'never' }).signal).toBe('SIGKILL');
  expect(await indexes()).toEqual(NYC_INDEXES);
  const resumed = load(gen, { PIPEWARDEN_MYSQL_DEFER_INDEXES: 'never' });
  expect(JSON.parse(resumed.stdout).indexes_built).toEqual([]);
  await expectExact(gen);
});

test('two loaders finishing together both build the missing indexes: the one that comes second finds them built, no error', async () => {
  // Seen in CI with three loaders sharing a source: the second ALTER waited for the first one's
  // metadata lock, then failed with "Duplicate key name 'ix_issue_date'" and the loader exited 70.
  const spec = datasetOf(config);
  const c = await connect(config);
  try {
    await c.query(`ALTER TABLE violations ${NYC_INDEXES.map((ix) => `DROP INDEX ${ix}`).join(', ')}`);
  } finally {
    await c.end();
  }
  expect(await indexes()).toEqual([]);
  const pools = [createPool(config), createPool(config)];
  try {
    const built = await Promise.all(pools.map((p) => buildMissingIndexes(p, spec)));
    expect(built.flat().sort()).toEqual(NYC_INDEXES);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
  expect(await indexes()).toEqual(NYC_INDEXES);
});

test('a migrate that holds its lock reads the table whole while another loader drops and builds the deferred indexes (three loaders starting together)', async () => {
  const spec = datasetOf(config);
  const reader = await connect(config);
  const alterer = await connect(config);
  try {
    // migrate holds a named lock while it reads the table: a metadata lock of its own.
    await reader.query('SELECT GET_LOCK(?, 10)', ['pw_test_migrate']);
    let stop = false;
    const torn: string[] = [];
    let reads = 0;
    const reading = (async () => {
      while (!stop) {
        const t = await readTable(reader, spec.table);
        reads++;
        if (!t || t.primaryKey.join() !== spec.key.join()) torn.push(t ? `primary key (${t.primaryKey.join()})` : 'no table');
      }
    })();
    for (let i = 0; i < 40; i++) {
      await alterer.query(`ALTER TABLE \`${spec.table}\` DROP INDEX ix_issue_date, DROP INDEX ix_violation_code`);
      await alterer.query(`ALTER TABLE \`${spec.table}\` ADD KEY ix_issue_date (issue_date), ADD KEY ix_violation_code (violation_code)`);
    }
    stop = true;
    await reading;
    expect(reads).toBeGreaterThan(10);
    expect(torn.slice(0, 3)).toEqual([]);
  } finally {
    await reader.end();
    await alterer.end();
  }
});
