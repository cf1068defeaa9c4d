// The RLE / bit-packed hybrid decoder of dictionary pages (loader/src/engine/parquet/
// dictionary-page.ts) on random runs of bit widths up to 31: it decodes what was encoded,
// and agrees with hyparquet's own decoder on the widths dictionary indices use (hyparquet
// 1.33 misreads bit-packed groups of width 31, an index into 2^31 values no file holds).
const { readRleBitPackedHybrid } = require('hyparquet/src/encoding.js') as typeof import('hyparquet/types/encoding');
import { RleHybrid } from '../src/engine/parquet/dictionary-page';

/** Encode `values` as Parquet's hybrid: runs of repeats as RLE, the rest bit-packed in groups of 8. */
function encode(values: number[], width: number): Uint8Array {
  const out: number[] = [];
  const varint = (n: number) => {
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
  };
  let i = 0;
  while (i < values.length) {
    let run = 1;
    while (i + run < values.length && values[i + run] === values[i]) run++;
    if (run >= 8 || i + 8 > values.length) {
      varint(run * 2);
      for (let b = 0; b < (width + 7) >> 3; b++) out.push(Math.floor(values[i] / 2 ** (8 * b)) & 0xff);
      i += run;
      continue;
    }
    varint(1 * 2 + 1); // one group of 8 values, bit-packed least significant bit first
    let acc = 0n;
    for (let k = 0; k < 8; k++) acc |= BigInt(values[i + k]) << BigInt(k * width);
    for (let b = 0; b < width; b++) out.push(Number((acc >> BigInt(8 * b)) & 0xffn));
    i += 8;
  }
  return Uint8Array.from(out);
}

test.each([0, 1, 2, 3, 5, 8, 12, 17, 24, 31])('width %i: every value as hyparquet decodes it', (width) => {
  let seed = width + 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const values: number[] = [];
  while (values.length < 5000) {
    const v = Math.floor(rnd() * 2 ** width);
    const repeat = rnd() < 0.3 ? 1 + Math.floor(rnd() * 40) : 1;
    for (let r = 0; r < repeat; r++) values.push(v);
  }
  const bytes = width === 0 ? new Uint8Array(0) : encode(values, width);
  const theirs = new Array<number>(values.length);
  if (width > 0) readRleBitPackedHybrid({ view: new DataView(bytes.buffer), offset: 0 }, width, theirs, bytes.length);
  else theirs.fill(0);
  const mine = new RleHybrid(bytes, 0, bytes.length, width);
  const decoded = values.map(() => mine.next());
  expect(decoded).toEqual(width === 0 ? values.map(() => 0) : values);
  if (width <= 24) expect(decoded).toEqual(theirs);
});

test('a run past the end of its page is an error, not a value; runs of no values are passed over', () => {
  const r = new RleHybrid(Uint8Array.of(0, 1, 4, 7), 0, 4, 3); // an empty run of ones, then two sevens
  expect([r.next(), r.next()]).toEqual([7, 7]);
  expect(() => r.next()).toThrow(/past the end of its page/);
  const packed = new RleHybrid(Uint8Array.of(3, 0xff), 0, 2, 3); // a group of 8 three-bit values needs 3 bytes
  expect(() => packed.next()).toThrow(/bit-packed values run past the end/);
});
