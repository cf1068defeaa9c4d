// Issue 13, item 6, for the Spark engine: a line over the record limit (32 MiB) is one
// csv_error dead letter with the inline engine's line, detail and 64 KB raw prefix, and the
// batches around it are the inline engine's; a file whose lines end in a lone CR fails
// the load with an error naming the object, as with the inline engine. Both read the
// objects from a private S3 server; the loads write to a private MariaDB and Redis.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { DEFAULT_DATASET, UserError, connect, datasetOf, type Config } from '@pipewarden/core';

import { runLoad } from '../src/load';
import { putFile } from '../src/s3-admin';
import { createS3Client, openSource } from '../src/source';
import { createSparkEngine } from '../src/engine/spark';
import { SparkJobError } from '../src/engine/spark/process';
import { captureLogger, drainEngine, inlineEngine, sparkSkipReason } from './helpers/spark-testkit';
import { startTestStack, type TestStack } from '../../test/helpers/stack';

const COLUMNS = datasetOf({ dataset: DEFAULT_DATASET }).columns; // NYC

jest.setTimeout(180_000);

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED spark-bounds: ${skip}`);
const describeSpark = skip ? describe.skip : describe;

const LIMIT = 32 << 20; // the splitters' default record limit
const PREFIX = 64 << 10; // what a dead letter keeps of an over-long record
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A row of the spec's columns: the key, a plate and a street; the rest empty. */
function row(key: string, street = 'W 175 ST'): string {
  return COLUMNS.map((c) => (c.name === 'summons_number' ? key : c.name === 'plate_id' ? 'ABC1234' : c.name === 'street_name' ? street : '')).join(',');
}

describeSpark('record bounds under the Spark engine', () => {
  let stack: TestStack;
  let inline: Config;
  let spark: Config;
  const prefix = (name: string) => `s3://${stack.layout.bucket}/bounds-${name}/`;

  async function upload(name: string, body: Buffer | string): Promise<void> {
    const file = join(stack.layout.dir, name);
    writeFileSync(file, body);
    const s3 = createS3Client(inline);
    try {
      await putFile(s3, file, `${prefix(name)}${name}`);
    } finally {
      s3.destroy();
    }
  }

  beforeAll(async () => {
    stack = await startTestStack();
    inline = stack.config({ engine: 'inline' });
    spark = stack.config({ engine: 'spark' });
  });
  afterAll(() => stack?.cleanup());

  test('a line over the limit: one dead letter, and batches equal to the inline engine\'s', async () => {
    // The over-long line has the header's field count: the job's vector path must not take it.
    const long = row('7', 'x'.repeat(LIMIT + 100_000));
    const lines = [COLUMNS.map((c) => c.header).join(','), row('1'), row('2'), row('3', '"QUOTED, STREET"'), row('4'), row('5'), row('6'), long, row('8'), row('9'), row('10')];
    await upload('long.csv', lines.join('\n') + '\n');
    const source = openSource(prefix('long.csv'), inline);
    const [object] = await source.list();
    const a = await drainEngine(inlineEngine(spark), source, object, 4);
    const b = await drainEngine(createSparkEngine(spark, captureLogger().log), source, object, 4);

    // Raw bytes by digest: a failure then prints 64 characters instead of 87 KB of base64.
    const deadLetters = (d: typeof a) => d.rejects.map((r) => ({ ...r, raw: sha256(Buffer.from(r.raw, 'base64')) }));
    expect(deadLetters(a)).toEqual([
      { line: 8, reason: 'csv_error', detail: `record longer than ${LIMIT} bytes (${long.length + 1} bytes to its line end; its first ${PREFIX} kept)`, raw: sha256(Buffer.from(long.slice(0, PREFIX))) },
    ]);
    expect(a.tsv.split('\n').filter(Boolean)).toHaveLength(9);

    expect(deadLetters(b)).toEqual(deadLetters(a));
    expect(b.tsv).toBe(a.tsv);
    const shape = (d: typeof a) => d.drafts.filter((x) => x.src.records > 0).map((x) => ({ ...x.src, startByte: undefined, endByte: undefined, nextLine: undefined, keys: x.keys.length, rejects: x.rejects.length }));
    expect(shape(b)).toEqual(shape(a));
    expect(shape(a).map((s) => s.records)).toEqual([4, 4, 2]);
    expect(b.drafts[b.drafts.length - 1].last).toBe(true);
    source.close();
  });

  test('lone-CR line ends: both engines fail the load with an error naming the object, and write nothing', async () => {
    await upload('mac.csv', 'Summons Number,Plate ID\r1,A\r2,B\r');
    const source = prefix('mac.csv');
    const fromInline = await runLoad(inline, { source, log: captureLogger().log }).catch((e: unknown) => e);
    expect(fromInline).toBeInstanceOf(UserError);
    const sayInline = /\S*mac\.csv: its lines end in a lone CR \(classic Mac OS line ends; no LF in its first 32 bytes\)/;
    expect((fromInline as Error).message).toMatch(sayInline);
    const said = sayInline.exec((fromInline as Error).message)![0];

    const fromSpark = await runLoad(spark, { source, log: captureLogger().log }).catch((e: unknown) => e);
    expect(fromSpark).toBeInstanceOf(SparkJobError);
    const msg = (fromSpark as Error).message;
    expect(msg).toContain(said);
    expect(msg).toContain('convert its line ends to LF or CRLF');
    expect(msg).not.toMatch(/^\s+at /m); // no stack frames
    expect(msg).not.toMatch(/Traceback/);

    const c = await connect(inline);
    try {
      const [rows] = await c.query<RowDataPacket[]>('SELECT (SELECT COUNT(*) FROM batch_ledger) AS batches, (SELECT COUNT(*) FROM dead_letters) AS dead');
      expect([Number(rows[0].batches), Number(rows[0].dead)]).toEqual([0, 0]);
    } finally {
      await c.end();
    }
  });
});
