// The weakness pipewarden fixes, shown on the real sample: the original 2018 pipeline
// (Spark's CSV reader + JDBC writer in append mode) appends every row again when it is run
// a second time; pipewarden run twice with the Spark engine — the second time even without
// its WAL and checkpoint, so the Spark job runs again — leaves the table as it was.
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { connect, type Config } from '@pipewarden/core';
import { runLoad } from '../src/load';
import { runSparkJdbcBaseline } from '../../bench/spark-jdbc';
import { captureLogger, sparkSkipReason } from './helpers/spark-testkit';
import { startTestStack, SHARED_SAMPLE, type TestStack } from '../../test/helpers/stack';

jest.setTimeout(300_000);

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED spark-jdbc-duplicates: ${skip}`);
const describeSpark = skip ? describe.skip : describe;

describeSpark('rerunning a load: the 2018 Spark JDBC job vs pipewarden', () => {
  let stack: TestStack;
  let config: Config;
  beforeAll(async () => {
    stack = await startTestStack();
    config = stack.config({ 'batch.size': 1000, engine: 'spark' });
  });
  afterAll(() => stack?.cleanup());

  async function q(sql: string): Promise<RowDataPacket[]> {
    const c = await connect(config);
    try {
      const [rows] = await c.query<RowDataPacket[]>(sql);
      return rows;
    } finally {
      await c.end();
    }
  }

  test('the JDBC job duplicates every row on a rerun; pipewarden does not', async () => {
    const { log } = captureLogger();
    await runSparkJdbcBaseline(config, { input: SHARED_SAMPLE, table: 'violations_2018', log });
    const [once] = await q('SELECT COUNT(*) AS n, COUNT(DISTINCT summons_number) AS k FROM violations_2018');
    expect(Number(once.n)).toBe(4999);
    expect(Number(once.k)).toBe(4999);
    await runSparkJdbcBaseline(config, { input: SHARED_SAMPLE, table: 'violations_2018', log });
    const [twice] = await q('SELECT COUNT(*) AS n, COUNT(DISTINCT summons_number) AS k FROM violations_2018');
    expect(Number(twice.n)).toBe(2 * 4999); // every row twice
    expect(Number(twice.k)).toBe(4999);

    const first = await runLoad(config, { source: SHARED_SAMPLE, log });
    expect(first).toMatchObject({ engine: 'spark', rows_in: 4999, rows_loaded: 4999, balanced: true });
    const [{ c: before }] = await q('CHECKSUM TABLE violations').then((r) => r.map((x) => ({ c: String(x.Checksum) })));
    // Rerun from scratch: a new WAL folder (no checkpoint). MySQL's lease marks say the object
    // is done (proven against the ledger): nothing is read again.
    const fresh = stack.config({ 'batch.size': 1000, engine: 'spark', 'wal.dir': join(stack.layout.dir, 'wal-again') });
    const second = await runLoad(fresh, { source: SHARED_SAMPLE, log });
    expect(second).toMatchObject({ rows_in: 4999, batches_committed: 0, batches_skipped: 0 });
    // Without those marks (and Spark batches carry no byte offsets to resume by), the Spark job
    // runs again and every batch reaches the sink, which finds it in the ledger.
    await q('UPDATE object_leases SET done_records = NULL');
    const third = await runLoad(stack.config({ 'batch.size': 1000, engine: 'spark', 'wal.dir': join(stack.layout.dir, 'wal-third') }), { source: SHARED_SAMPLE, log });
    expect(third).toMatchObject({ batches_committed: 0, batches_skipped: first.batches_committed });
    const [after] = await q('SELECT COUNT(*) AS n, COUNT(DISTINCT summons_number) AS k FROM violations');
    expect(Number(after.n)).toBe(4999);
    expect(Number(after.k)).toBe(4999);
    expect(String((await q('CHECKSUM TABLE violations'))[0].Checksum)).toBe(before);
  });
});
