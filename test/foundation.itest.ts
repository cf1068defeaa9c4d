// Foundation: migrations on a real MariaDB, the harness's SIGKILL/restart, and the real
// sample normalized with every row accounted for.
import type { RowDataPacket } from 'mysql2';
import { DEFAULT_DATASET, connect, datasetOf, migrate, rulesFor, TABLES } from '@pipewarden/core';
const COLUMNS = datasetOf({ dataset: DEFAULT_DATASET }).columns;
import { InlineEngine, LocalSource } from '@pipewarden/loader';
import { startTestStack, SHARED_SAMPLE, type TestStack } from './helpers/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ services: ['mariadb'] });
});
afterAll(() => stack?.cleanup());

test('migrations create the schema; a second run changes nothing', async () => {
  const config = stack.config();
  const again = await migrate(config);
  expect(again.applied).toEqual([]);
  expect(again.dataset).toMatchObject({ table: 'violations', created: false, changes: [] });
  const c = await connect(config);
  try {
    const [tables] = await c.query<RowDataPacket[]>('SHOW TABLES');
    expect(tables.map((t) => Object.values(t)[0]).sort()).toEqual([...Object.values(TABLES), datasetOf(config).table].sort()); // pipewarden's tables and the dataset's
    const [cols] = await c.query<RowDataPacket[]>('SHOW COLUMNS FROM violations');
    expect(cols.map((x) => x.Field)).toEqual(COLUMNS.map((x) => x.name));
    expect(cols[0]).toMatchObject({ Field: 'summons_number', Key: 'PRI', Null: 'NO' });
    const [idx] = await c.query<RowDataPacket[]>('SHOW INDEX FROM violations');
    expect(new Set(idx.map((i) => i.Column_name))).toEqual(new Set(['summons_number', 'issue_date', 'violation_precinct', 'violation_code']));
    const [checksum1] = await c.query<RowDataPacket[]>('CHECKSUM TABLE schema_migrations');
    await migrate(config);
    const [checksum2] = await c.query<RowDataPacket[]>('CHECKSUM TABLE schema_migrations');
    expect(checksum2[0].Checksum).toBe(checksum1[0].Checksum);
  } finally {
    await c.end();
  }
});

test('the harness SIGKILLs MariaDB after committed inserts and restarts it on the same data dir', async () => {
  const config = stack.config();
  let c = await connect(config);
  await c.query('CREATE TABLE IF NOT EXISTS harness_probe (id INT PRIMARY KEY) ENGINE=InnoDB');
  for (let i = 1; i <= 50; i++) await c.query('INSERT INTO harness_probe VALUES (?)', [i]);
  c.destroy();
  const pid = stack.mariadb.proc.pid;
  await stack.mariadb.kill();
  expect(stack.mariadb.proc.running()).toBe(false);
  await stack.mariadb.start();
  expect(stack.mariadb.proc.pid).not.toBe(pid);
  c = await connect(config);
  const [rows] = await c.query<RowDataPacket[]>('SELECT COUNT(*) AS n, SUM(id) AS s FROM harness_probe');
  expect(Number(rows[0].n)).toBe(50);
  expect(Number(rows[0].s)).toBe(1275);
  await c.end();
});

test('normalizing the real sample accounts for every row', async () => {
  const source = new LocalSource(SHARED_SAMPLE);
  const [obj] = await source.list();
  let records = 0;
  let kept = 0;
  let rejected = 0;
  const lines: string[] = [];
  for await (const b of new InlineEngine(rulesFor(datasetOf({ dataset: DEFAULT_DATASET }))).batches(source, obj, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 1000 }, new AbortController().signal)) {
    records += b.src.records;
    kept += b.keys.length;
    rejected += b.rejects.length;
    if (lines.length === 0) lines.push(...b.tsv.toString().split('\n').slice(0, 3));
  }
  expect(records).toBe(4999);
  expect(kept + rejected).toBe(records);
  const first = lines[0].split('\t');
  const at = (name: string) => first[COLUMNS.findIndex((c) => c.name === name)];
  expect(at('summons_number')).toBe('1283294138');
  expect(at('plate_id')).toBe('GBB9093');
  expect(at('registration_state')).toBe('NY');
  expect(at('issue_date')).toBe('2013-08-04');
  expect(at('violation_time')).toBe('07:52:00');
  expect(at('vehicle_expiration_date')).toBe('2014-08-31');
  expect(at('vehicle_year')).toBe('2013');
  expect(at('date_first_observed')).toBe('\\N'); // "0" is no date
  expect(at('time_first_observed')).toBe('\\N');
  // the third row has Vehicle Year 0 → NULL
  expect(lines[2].split('\t')[COLUMNS.findIndex((c) => c.name === 'vehicle_year')]).toBe('\\N');
});
