// The schema version: `migrate` records every version it applies with the build that
// applied it, and a pipewarden that finds a newer schema than it knows refuses with a clear
// message instead of writing into tables it does not understand.
import type { RowDataPacket } from 'mysql2';
import { buildInfo, connect, migrate, SCHEMA_VERSION, UserError } from '@pipewarden/core';
import { startTestStack, SHARED_SAMPLE, type TestStack } from './helpers/stack';
import { runCli } from './helpers/doubt';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());

async function query(sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  const c = await connect(stack.config());
  try {
    const [rows] = await c.query<RowDataPacket[]>(sql, params);
    return rows;
  } finally {
    await c.end();
  }
}

test('migrate records each schema version with the pipewarden build that applied it', async () => {
  const rows = await query('SELECT version, applied_by FROM schema_migrations ORDER BY version');
  const { version, revision } = buildInfo();
  expect(rows.map((r) => Number(r.version))).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  for (const r of rows) expect(r.applied_by).toBe(`${version} (${revision})`);
  const again = runCli(stack, ['migrate']);
  expect(again.status).toBe(0);
  expect(again.stdout).toContain(`is up to date (version ${SCHEMA_VERSION})`);
});

test('a migrations table from before applied_by gains the column and keeps its rows', async () => {
  await query('ALTER TABLE schema_migrations DROP COLUMN applied_by');
  const r = await migrate(stack.config());
  expect(r.applied).toEqual([]);
  const rows = await query('SELECT version, applied_by FROM schema_migrations ORDER BY version');
  expect(rows.map((x) => [Number(x.version), x.applied_by])).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => [i + 1, null]));
});

test('a schema newer than this build is refused by migrate, load and the reconciler service, with a clear message', async () => {
  const newer = SCHEMA_VERSION + 1;
  await query('INSERT INTO schema_migrations (version, name, applied_by) VALUES (?, ?, ?)', [newer, 'from the future', '9.9.9 (0123456789ab)']);
  const message = `the database pipewarden has schema version ${newer} (migrated by pipewarden 9.9.9 (0123456789ab)), newer than this pipewarden ${buildInfo().version} knows (schema version ${SCHEMA_VERSION}); refusing to use it`;

  await expect(migrate(stack.config())).rejects.toThrow(new UserError(message));
  for (const args of [['migrate'], ['load', '--source', SHARED_SAMPLE, '--no-progress'], ['reconciler', 'serve', '--no-watchdog']]) {
    const r = runCli(stack, args, {}, 60_000);
    expect({ args, status: r.status, stderr: r.stderr }).toEqual({
      args,
      status: 1,
      stderr: `pipewarden: ${message}\n  hint: run the pipewarden that migrated the database, or a newer one; the schema is never downgraded\n`,
    });
  }
  // Refused before anything was written: no row loaded, no migration recorded.
  expect(Number((await query('SELECT COUNT(*) AS n FROM violations'))[0].n)).toBe(0);
  expect(Number((await query('SELECT COUNT(*) AS n FROM schema_migrations'))[0].n)).toBe(SCHEMA_VERSION + 1);
});
