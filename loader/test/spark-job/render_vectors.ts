// Writes render_vectors.json: Parquet values as Spark hands them to the job, with the text
// the inline engine's renderer (loader/src/engine/parquet/render.ts rendererOf) writes for
// the same stored values, for test_parquet.py to hold pwparquet.render to, byte for byte.
// Run: npx tsx loader/test/spark-job/render_vectors.ts
//
// Seeded random values over the whole range of each type (float bit patterns, timestamps
// from before year 0 to after 9999, fractions) plus the edge cases, in every format shape a
// spec column can take (dates, 12- and 24-hour clocks, formats without seconds, ISO).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFormat } from '@pipewarden/core';
import { prng } from '../../src/prng';
import { rendererOf, type RenderSpec } from '../../src/engine/parquet/render';

export const RENDER_VECTORS_PATH = join(__dirname, 'render_vectors.json');

/** How the job receives the values: the Arrow type Spark hands over. */
type ArrowType = 'float32' | 'float64' | 'date32' | 'timestamp_us' | 'int64' | 'decimal' | 'bool';

export interface RenderCase {
  spec: RenderSpec;
  arrow: ArrowType;
  /** The values as Spark hands them over (integers beyond 2^53 as strings; decimals unscaled). */
  values: (number | string | boolean)[];
  /** What the inline engine writes for each. */
  texts: string[];
}

const base: Omit<RenderSpec, 'kind'> = { scale: 0, unit: 'MICROS', float32: false, unsigned: false, iso: 'datetime', julian: false };
const FORMATS = [undefined, 'MM/DD/YYYY', 'YYYYMMDD', 'YYYY-MM-DD HH:mm:ss', 'M/D/YYYY h:mm A', 'YYYY-MM-DDTHH:mm', 'HHmm', 'hh:mm:ssA'];

export function renderVectors(): RenderCase[] {
  const rnd = prng(1818);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const bits = new DataView(new ArrayBuffer(8));
  const randomDouble = () => {
    bits.setUint32(0, int(0, 0xffffffff));
    bits.setUint32(4, int(0, 0xffffffff));
    return bits.getFloat64(0);
  };
  const randomFloat32 = () => {
    bits.setUint32(0, int(0, 0xffffffff));
    return bits.getFloat32(0);
  };
  const cases: RenderCase[] = [];
  const add = (spec: RenderSpec, arrow: ArrowType, values: (number | string | boolean)[], stored: (v: number | string | boolean) => unknown) => {
    const r = rendererOf(spec);
    cases.push({ spec, arrow, values, texts: values.map((v) => r(stored(v))) });
  };
  // Floats: random bit patterns (NaN and the infinities included), then the edges.
  const edges = [0, -0, 0.1, 1e21, 1e-7, -1.25e-7, 5e-324, 1.7976931348623157e308, 16777217, 123456789012345680000, 2.5, 0.5, 100];
  const doubles = [...edges, ...Array.from({ length: 400 }, randomDouble), ...Array.from({ length: 200 }, () => int(-1e6, 1e6) / 1000)];
  add({ ...base, kind: 'float' }, 'float64', doubles.filter(Number.isFinite), (v) => v);
  add({ ...base, kind: 'float' }, 'float64', [NaN, Infinity, -Infinity].map(String), Number);
  const floats = [...edges, ...Array.from({ length: 400 }, randomFloat32), ...Array.from({ length: 200 }, () => int(-1e5, 1e5) / 100)].map(Math.fround);
  add({ ...base, kind: 'float', float32: true }, 'float32', floats.filter(Number.isFinite), (v) => v);
  // Decimals: unscaled integers, at scales 0–12.
  for (const scale of [0, 1, 2, 4, 12]) {
    const values = ['0', '1', '-1', '10', '-10', '1000', '99999999999999999999999', ...Array.from({ length: 60 }, () => String(BigInt(int(-1e9, 1e9)) * BigInt(int(0, 1e6))))];
    add({ ...base, kind: 'decimal', scale }, 'decimal', values, (v) => BigInt(v as string));
  }
  add({ ...base, kind: 'integer' }, 'int64', ['0', '-1', '9223372036854775807', '-9223372036854775808', '42'], (v) => BigInt(v as string));
  add({ ...base, kind: 'boolean', booleans: ['Y', 'N'] }, 'bool', [true, false], (v) => v);
  add({ ...base, kind: 'boolean' }, 'bool', [true, false], (v) => v);
  // Dates and timestamps, in each format shape.
  const days = [0, -1, 16085, -719528, 2932896, -800000, 3000000, ...Array.from({ length: 60 }, () => int(-1_000_000, 3_500_000))];
  const second = 1_000_000;
  const micros = [
    '0', '-1', '1400000000123456', '1389744000000000', '-62167219200000000', '253402300799999999', '8640000000000000000', '8640000000001000000', '-8640000000001000000',
    ...Array.from({ length: 80 }, () => String(BigInt(int(-70_000_000_000, 260_000_000_000)) * BigInt(second) + BigInt(rnd() < 0.5 ? 0 : int(0, 999_999)))),
  ];
  const nanos = ['0', '-1', '1388538123123456789', '-5000000000000000001', ...Array.from({ length: 40 }, () => String(BigInt(int(-2e9, 4e9)) * 1_000_000_000n + BigInt(int(0, 999_999_999))))];
  for (const format of FORMATS) {
    const tokens = format ? parseFormat(format) : undefined;
    const clock = { ...base, ...(tokens ? { tokens } : {}) };
    add({ ...clock, kind: 'date', iso: 'date' }, 'date32', days, (v) => v);
    add({ ...clock, kind: 'date', iso: 'datetime' }, 'date32', days.slice(0, 10), (v) => v);
    add({ ...clock, kind: 'timestamp', unit: 'MICROS' }, 'timestamp_us', micros, (v) => BigInt(v as string));
    add({ ...clock, kind: 'timestamp', unit: 'NANOS' }, 'int64', nanos, (v) => BigInt(v as string));
  }
  return cases;
}

if (require.main === module) {
  writeFileSync(RENDER_VECTORS_PATH, JSON.stringify(renderVectors()) + '\n');
  console.log(`wrote ${RENDER_VECTORS_PATH}`);
}
