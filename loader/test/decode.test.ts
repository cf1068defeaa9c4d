// Compressed objects (issue 18) read through DecodingSource: recognised by their first bytes
// whatever the name, decoded to exactly the original bytes, any window [start, end) of the
// decoded bytes equal to that slice of the original (how a resume and a range read them),
// and a damaged or cut-short stream a clear error naming the object.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '@pipewarden/core';
import { DecodingSource, encodingOf } from '../src/source/decode';
import { LocalSource } from '../src/source/local';
import type { Encoding } from '../src/source/types';

let dir: string;
let plain: Buffer;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-decode-'));
  const lines = ['a,b,c'];
  for (let i = 0; i < 60000; i++) lines.push(`${i},"text ${i % 977}",${(i * 7919) % 100003}`);
  plain = Buffer.from(lines.join('\n') + '\n');
  writeFileSync(join(dir, 'plain.csv'), plain);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The same bytes, compressed by the reference tools; named `.csv` to show the name does not matter. */
function compressed(kind: 'gzip' | 'gzip-members' | 'zstd' | 'bzip2'): string {
  const file = join(dir, `${kind}.csv`);
  if (kind === 'gzip') writeFileSync(file, gzipSync(plain));
  else if (kind === 'gzip-members') {
    const third = Math.floor(plain.length / 3);
    writeFileSync(file, Buffer.concat([gzipSync(plain.subarray(0, third)), gzipSync(plain.subarray(third, 2 * third)), gzipSync(plain.subarray(2 * third))]));
  } else writeFileSync(file, execFileSync(kind, ['-c'], { input: plain, maxBuffer: 1 << 28 }));
  return file;
}

async function read(file: string, start = 0, end?: number): Promise<{ bytes: Buffer; encoding?: Encoding }> {
  const src = new DecodingSource(new LocalSource(file));
  const [obj] = await src.list();
  const chunks: Buffer[] = [];
  for await (const c of src.open(obj, start, undefined, end)) chunks.push(c as Buffer);
  return { bytes: Buffer.concat(chunks), encoding: obj.encoding };
}

test('magic bytes name the encoding; plain text has none', () => {
  expect(encodingOf(gzipSync(Buffer.from('x')))).toBe('gzip');
  expect(encodingOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]))).toBe('zstd');
  expect(encodingOf(Buffer.from([0x50, 0x2a, 0x4d, 0x18]))).toBe('zstd');
  expect(encodingOf(Buffer.from('BZh91AY'))).toBe('bzip2');
  expect(encodingOf(Buffer.from('BZh,x'))).toBeUndefined();
  expect(encodingOf(Buffer.from('a,b,c\n'))).toBeUndefined();
});

test.each(['gzip', 'gzip-members', 'zstd', 'bzip2'] as const)('%s: decoded whole, and any window equals that slice of the original', async (kind) => {
  const file = compressed(kind);
  const whole = await read(file);
  expect(whole.encoding).toBe(kind === 'gzip-members' ? 'gzip' : kind);
  expect(whole.bytes.equals(plain)).toBe(true);
  for (const [a, b] of [
    [0, 10],
    [12345, 400000],
    [plain.length - 100, undefined],
    [777777, 777778],
  ] as const) {
    const w = await read(file, a, b);
    expect(w.bytes.equals(plain.subarray(a, b))).toBe(true);
  }
});

test('a plain object passes through untouched', async () => {
  const r = await read(join(dir, 'plain.csv'), 100, 200);
  expect(r.encoding).toBeUndefined();
  expect(r.bytes.equals(plain.subarray(100, 200))).toBe(true);
});

test.each(['gzip', 'zstd', 'bzip2'] as const)('%s cut short, or damaged, is an error that names the object', async (kind) => {
  const whole = readFileSync(compressed(kind));
  const cut = join(dir, `cut-${kind}.csv`);
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
  await expect(read(cut)).rejects.toThrow(UserError);
  await expect(read(cut)).rejects.toThrow(new RegExp(`cut-${kind}\\.csv: its ${kind} stream is damaged or cut short after \\d+ decoded bytes`));
  const damaged = join(dir, `damaged-${kind}.csv`);
  const bad = Buffer.from(whole);
  for (let i = Math.floor(bad.length / 2); i < Math.floor(bad.length / 2) + 64; i++) bad[i] ^= 0x5a;
  writeFileSync(damaged, bad);
  await expect(read(damaged)).rejects.toThrow(/damaged or cut short/);
});
