// A MySQL connection lost in the middle of a statement (the server killed, a proxy dropping
// the socket) must leave no statement-deadline timer behind: mysql2 does not clear it on a
// lost connection, and `pipewarden load` then "finished" and hung for the whole deadline
// (found by the nemesis, seed 36).
import type { RowDataPacket } from 'mysql2/promise';
import { connect, createPool, type Config } from '@pipewarden/core';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;
let config: Config;
beforeAll(async () => {
  stack = await startTestStack({ services: ['mariadb'] });
  config = stack.config({ 'mysql.queryTimeoutSeconds': 600 });
});
afterAll(() => stack?.cleanup());

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

it.each(['pool', 'connection'] as const)('a %s whose statement loses its connection leaves no deadline timer running', async (kind) => {
  const admin = await connect(config);
  const pool = kind === 'pool' ? createPool(config) : undefined;
  // One connection throughout (a pool's own, set up by the pool), so the statement killed is
  // the one whose connection id was read.
  const conn = pool ? await pool.getConnection() : await connect(config);
  const run = (sql: string) => conn.query<RowDataPacket[]>(sql);
  try {
    const [[{ id }]] = await run('SELECT CONNECTION_ID() AS id');
    const before = timers();
    // Settled into a value at once: it fails while the KILL below is awaited.
    const sleeping = run('SELECT SLEEP(30)').then(() => null, (e: unknown) => e);
    // Wait until the statement runs, then kill its connection from outside.
    for (let i = 0; i < 100; i++) {
      const [rows] = await admin.query<RowDataPacket[]>("SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO LIKE 'SELECT SLEEP%'", [id]);
      if (rows.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await admin.query(`KILL CONNECTION ${Number(id)}`);
    expect(await sleeping).toMatchObject({ fatal: true });
    expect(timers()).toBeLessThanOrEqual(before);
  } finally {
    conn.destroy();
    await pool?.end();
    await admin.end();
  }
});
