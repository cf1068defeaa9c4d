// Writes bounds_vectors.json: inputs around the record limit and the records the inline
// splitter (loader/src/engine/csv-records.ts) cuts from them, for test_bounds.py to hold
// pwcsv.py to. Run: npx tsx loader/test/spark-job/bounds_vectors.ts
//
// The reader is fed one byte at a time: over-long exactly when the limit is passed before
// the record ends, which is the rule the Spark job implements. The splitter judges every
// record on its first limit + 1 bytes, so any chunking gives the same records; each vector
// also says whether 64 KB chunks (a local file's stream) did.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvFormatError, CsvRecordReader, type CsvRecord } from '../../src/engine/csv-records';

export interface Vector {
  name: string;
  max: number;
  /** The input: latin1 text pieces, each repeated n times. */
  input: [string, number][];
  /** Fields and raw bytes as sha256 hex (some are 64 KB long). */
  records?: { fields: string[]; raw: string; rawBytes: number; line: number; nextLine: number; error: string | null }[];
  refused?: string;
  sameWith64kChunks: boolean;
}

function cut(input: Buffer, max: number, chunk: number): Pick<Vector, 'records' | 'refused'> {
  const reader = new CsvRecordReader({ maxRecordBytes: max });
  const out: NonNullable<Vector['records']> = [];
  const take = (rs: CsvRecord[]) => {
    for (const r of rs) {
      // Field bytes as the splitter delimits them ("" escapes undone), base64.
      const fields = r.fields.map((f) => sha256(Buffer.from(f, r.ascii ? 'latin1' : 'utf8')));
      out.push({ fields, raw: sha256(r.raw), rawBytes: r.raw.length, line: r.line, nextLine: r.nextLine, error: r.error ?? null });
    }
  };
  try {
    for (let i = 0; i < input.length; i += chunk) take(reader.push(input.subarray(i, i + chunk)));
    take(reader.end());
  } catch (e) {
    if (e instanceof CsvFormatError) return { refused: e.message };
    throw e;
  }
  return { records: out };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const M = 1000;
const BLOB = '\u0001\u00ff,\u0000'; // binary bytes (latin1), no LF
const inputs: [string, number, [string, number][]][] = [
  ['unquoted line far over the limit', M, [['h1,h2\n1,a\n2,', 1], ['x', 5 * M], ['\n3,c\n', 1]]],
  ['unclosed quote on a line far over the limit', M, [['h1,h2\n1,a\n2,"', 1], ['q', 5 * M], ['\n3,c\n', 1]]],
  ['binary blob without LF', M, [['h1,h2\n', 1], [BLOB, 1200], ['\n3,c\n', 1]]],
  ['quoted field spanning lines past the limit', M, [['h1,h2\n1,"', 1], ['abcd\n', 300], ['"\n2,b\n', 1]]],
  ['quoted field spanning lines within the limit', M, [['h1,h2\n1,"', 1], ['abcd\n', 150], ['"\n2,b\n', 1]]],
  ['records at exactly the limit', M, [['h\n', 1], ['y', M], ['\n', 1], ['y', M - 1], ['\r\n"', 1], ['w', M - 2], ['"\n', 1], ['z', M + 1], ['\n9\n', 1]]],
  ['one byte over the limit, quoted', M, [['h\n"', 1], ['w', M - 1], ['"\n9\n', 1]]],
  ['an over-long last line without a line end', M, [['h\n1\n', 1], ['y', 3 * M]]],
  ['a last line at the limit without a line end', M, [['h\n1\n', 1], ['y', M]]],
  ['a line over 64 KB', M, [['h1,h2\n1,', 1], ['x', 100_000], ['\n2,b\n', 1]]],
  ['a line over 64 KB ending in CRLF', M, [['h1,h2\r\n1,', 1], ['x', 70_000], ['\r\n2,b\r\n', 1]]],
  ['a quoted field spanning lines, then an over-long line', M, [['h1,h2\n"a\nb",', 1], ['x', 1100], ['\n3,c\n', 1]]],
  ['characters after a closing quote, far over the limit', M, [['h1,h2\n"a"b', 1], ['x', 3000], ['\n3,c\n', 1]]],
  ['a limit over 64 KB (prefix capped at 64 KB)', 100_000, [['h\n', 1], ['k', 250_000], ['\n2\n', 1]]],
  ['lone CR line ends', M, [['h1,h2\r1,a\r2,b\r', 1]]],
  ['lone CR, then no line end for 64 KB', M, [['h1,h2\r', 1], ['q', 200_000]]],
  ['CR at the end of the first 64 KB, no LF', M, [['q', 65_535], ['\r', 1], ['q', 10]]],
  ['no line end at all, no CR', M, [['q', 70_000]]],
  ['CRLF, and a CR inside a quoted field', M, [['h1,h2\r\n1,"a\rb"\n', 1]]],
];

/** The vectors as the splitter cuts them now (loader/test/bounds-vectors.test.ts holds the committed JSON to it). */
export function vectors(): Vector[] {
  return inputs.map(([name, max, pieces]) => {
    const input = Buffer.concat(pieces.map(([text, n]) => Buffer.from(text.repeat(n), 'latin1')));
    const ideal = cut(input, max, 1);
    const real = cut(input, max, 64 << 10);
    return { name, max, input: pieces, ...ideal, sameWith64kChunks: JSON.stringify(ideal) === JSON.stringify(real) };
  });
}

export const VECTORS_PATH = join(__dirname, 'bounds_vectors.json');

if (require.main === module) {
  const vs = vectors();
  writeFileSync(VECTORS_PATH, JSON.stringify(vs, null, 1) + '\n');
  for (const v of vs) console.log(`${v.sameWith64kChunks ? 'same' : 'DIFF'} with 64 KB chunks: ${v.name}`);
}
