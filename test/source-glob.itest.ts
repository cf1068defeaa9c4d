// Issue 18, what to load: a glob over a prefix of 2,000 small objects of mixed kinds (plain,
// gzip, zstd, JSON, text; five folders) loads exactly the objects it matches — the table holds
// their rows and no other — and PIPEWARDEN_SOURCE_MATCH narrows a listing by a regular
// expression.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client, ensureBucket, generate, openSource, runLoad, verifyTable } from '@pipewarden/loader';
import { startTestStack, type TestStack, query as q } from './helpers/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());

const OBJECTS = 2000;
const ROWS_EACH = 3;
const FOLDERS = ['fy2014', 'fy2015', 'fy2016', 'fy2017', 'misc'];
const KINDS = ['csv', 'csv.gz', 'csv.zst', 'json', 'txt'] as const;

test('a glob over 2,000 objects of mixed kinds loads exactly the matching ones', async () => {
  const config = stack.config({ 'batch.size': 500 });
  const all = join(stack.layout.dir, 'all.csv');
  await generate(all, { rows: OBJECTS * ROWS_EACH, seed: 2018, badShare: 0, duplicateShare: 0, keyBase: 5_000_000_000 });
  const [header, ...rows] = readFileSync(all, 'utf8').trimEnd().split('\n');
  const s3 = createS3Client(config);
  const expected = { objects: 0, rows: 0, keySum: 0n };
  const glob = /^(fy2014|fy2015)\/[^/]*\.(csv|csv\.gz)$/; // what the glob below means, for the oracle
  try {
    await ensureBucket(s3, stack.layout.bucket);
    const puts = Array.from({ length: OBJECTS }, (_, i) => async () => {
      const lines = rows.slice(i * ROWS_EACH, (i + 1) * ROWS_EACH);
      const kind = KINDS[Math.floor(i / FOLDERS.length) % KINDS.length];
      const text = Buffer.from(`${header}\n${lines.join('\n')}\n`);
      const body = kind === 'csv.gz' ? gzipSync(text) : kind === 'csv.zst' ? execFileSync('zstd', ['-q', '-c'], { input: text }) : text;
      const key = `${FOLDERS[i % FOLDERS.length]}/part-${String(i).padStart(4, '0')}.${kind}`;
      if (glob.test(key)) {
        expected.objects++;
        expected.rows += ROWS_EACH;
        for (const l of lines) expected.keySum += BigInt(l.split(',')[0]);
      }
      await s3.send(new PutObjectCommand({ Bucket: stack.layout.bucket, Key: `g/${key}`, Body: body }));
    });
    for (let i = 0; i < puts.length; i += 16) await Promise.all(puts.slice(i, i + 16).map((p) => p()));
  } finally {
    s3.destroy();
  }
  expect(expected.objects).toBe(320);

  const source = `s3://${stack.layout.bucket}/g/fy201[45]/*.{csv,csv.gz}`;
  const s = await runLoad(config, { source });
  expect({ objects: s.objects, rows_in: s.rows_in, rows_loaded: s.rows_loaded }).toEqual({ objects: expected.objects, rows_in: expected.rows, rows_loaded: expected.rows });
  const [t] = await q(config, 'SELECT COUNT(*) AS n, SUM(summons_number) AS key_sum FROM violations');
  expect({ n: Number(t.n), keys: BigInt(t.key_sum) }).toEqual({ n: expected.rows, keys: expected.keySum });
  const v = await verifyTable(config, source);
  expect({ ok: v.ok, lost: v.lost, unexpected: v.unexpected }).toEqual({ ok: true, lost: 0, unexpected: 0 });

  // The same listing narrowed by a regular expression instead: zstd objects of misc/ only.
  const matched = await openSource(`s3://${stack.layout.bucket}/g/`, stack.config({ sourceMatch: '^g/misc/.*\\.zst$' })).list();
  expect(matched.length).toBe(OBJECTS / FOLDERS.length / KINDS.length);
  expect(matched.every((o) => /\/g\/misc\/part-\d{4}\.csv\.zst$/.test(o.key))).toBe(true);
});
