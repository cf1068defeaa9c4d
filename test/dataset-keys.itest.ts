// The server's key text equals pipewarden's, type by type: a composite key over a string
// (with a backslash, a tab, mixed case), a date, a datetime, a time, a decimal (negative,
// short fraction, zero), a boolean, a signed 64-bit integer and an enum. The batch's key
// checksum computed by MySQL (core/src/db/keys.ts) must equal the one the loader put in the
// ledger from the TS side (rules.keyOfLine), and every key must be found by its values.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { connect, datasetOf, formatChecksum, keyChecksum, keyTuples, keysPresent, rulesFor, serverKeyChecksum, splitTsv } from '@pipewarden/core';
import { InlineEngine, openSource, runLoad } from '@pipewarden/loader';
import { startTestStack, type TestStack } from './helpers/stack';

const SPEC = join(__dirname, 'fixtures', 'datasets', 'typed-keys.yaml');

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());

test("MySQL's text of every key type is the written value: checksums and lookups agree with the loader's", async () => {
  const config = stack.config({ dataset: SPEC, 'batch.size': 1000 });
  await stack.resetData(config);
  const dir = join(stack.layout.dir, 'keys');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'keys.csv');
  writeFileSync(
    file,
    [
      'S,D,DT,T,Dec,B,I,E,V',
      'plain,2024-02-29,2024-02-29 23:59:59,00:00:00,-1.5,true,-9223372036854775808,alpha,x',
      '"back\\slash",1900-01-01,1999-12-31 00:00:00,23:59:59,0,false,9223372036854775807,BETA,x',
      '"tab\there",2099-12-31,2000-01-01 12:00:00,12:34:56,-0.000,yes,0,Alpha,x',
      'MiXeD,2024-01-01,2024-01-01 01:02:03,01:02:03,1234567.125,0,42,beta,x',
      'mixed,2024-01-01,2024-01-01 01:02:03,01:02:03,1234567.125,0,42,beta,y',
    ].join('\n') + '\n',
  );
  await runLoad(config, { source: file });
  const spec = datasetOf(config);
  const rules = rulesFor(spec);
  const source = openSource(file, config);
  const lines: string[] = [];
  try {
    const [obj] = await source.list();
    for await (const d of new InlineEngine(rules).batches(source, obj, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 1000 }, new AbortController().signal)) lines.push(...splitTsv(d.tsv.toString('utf8')));
  } finally {
    source.close();
  }
  expect(lines).toHaveLength(5); // MiXeD and mixed are two keys: text keys compare byte for byte
  const c = await connect(config);
  try {
    const [[ledger]] = await c.query<RowDataPacket[]>('SELECT key_checksum, rows_inserted FROM batch_ledger');
    expect(Number(ledger.rows_inserted)).toBe(5);
    const ts = formatChecksum(keyChecksum(lines.map((l) => rules.keyOfLine(l))));
    expect(ledger.key_checksum).toBe(ts);
    expect(formatChecksum(await serverKeyChecksum(c, spec, keyTuples(spec, lines)))).toBe(ts);
    expect(await keysPresent(c, spec, keyTuples(spec, lines))).toEqual(new Set(lines.map((l) => rules.keyOfLine(l))));
  } finally {
    await c.end();
  }
}, 60000);

test('integer and decimal keys beyond a double\'s precision are looked up exactly (no float comparison with quoted text)', async () => {
  // NYC's key: 1..2^63-1. 2^53 + 1 and 2^53 + 2 are one double apart only when compared as numbers, never as integers.
  const config = stack.config({ 'batch.size': 1000 });
  await stack.resetData(config);
  const dir = join(stack.layout.dir, 'big-keys');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'big.csv');
  writeFileSync(file, 'Summons Number,Plate ID\n9007199254740993,A\n9223372036854775806,B\n');
  await runLoad(config, { source: file });
  const spec = datasetOf(config);
  const rules = rulesFor(spec);
  const absent = ['9007199254740992\t\\N', '9223372036854775807\t\\N'].map((l) => l + '\t\\N'.repeat(spec.columns.length - 2));
  const present = ['9007199254740993', '9223372036854775806'].map((k) => k + '\t\\N'.repeat(spec.columns.length - 1));
  const c = await connect(config);
  try {
    expect(await keysPresent(c, spec, keyTuples(spec, absent))).toEqual(new Set());
    expect(formatChecksum(await serverKeyChecksum(c, spec, keyTuples(spec, absent)))).toBe('0:0');
    expect(await keysPresent(c, spec, keyTuples(spec, present))).toEqual(new Set(present.map((l) => rules.keyOfLine(l))));
  } finally {
    await c.end();
  }
}, 60000);
