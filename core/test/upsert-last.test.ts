import mysql from 'mysql2';
import { parseSpec } from '../src/dataset';
import { keyTuples, keyTuplesOfTexts } from '../src/db/keys';
import { rulesFor } from '../src/record/rules';
import { lineSpans, withRowIndex } from '../src/db/upsert-last';

test('withRowIndex gives the chosen lines, each with its index in the batch as a last field, with or without a final newline', () => {
  const tsv = Buffer.from('a\tb\nc\t\\N\nd\te\n');
  const spans = lineSpans(tsv);
  expect(spans).toEqual([0, 3, 4, 8, 9, 12]);
  expect(withRowIndex(tsv, spans, [0, 1, 2]).toString()).toBe('a\tb\t0\nc\t\\N\t1\nd\te\t2\n');
  expect(withRowIndex(tsv, spans, [2, 0]).toString()).toBe('d\te\t2\na\tb\t0\n');
  const open = Buffer.from('x\ny');
  expect(withRowIndex(open, lineSpans(open), [1]).toString()).toBe('y\t1\n');
  expect(lineSpans(Buffer.alloc(0))).toEqual([]);
});

test('keyTuplesOfTexts gives the lookup tuples keyTuples gives from the whole lines (text escapes, integers unquoted)', () => {
  const spec = parseSpec('name: t\ntable: t\nkey: [station, n]\nduplicates: last\ncolumns:\n  - {name: station}\n  - {name: n, type: integer}\n  - {name: note}\n', 't.yaml');
  const lines = ['a\\tb\t9007199254740993\tx', 'c\\\\d\t-4\t\\N'];
  const rules = rulesFor(spec);
  const sql = (tuples: unknown[][]) => mysql.format('?', [tuples as never]);
  expect(sql(keyTuplesOfTexts(spec, lines.map((l) => rules.keyOfLine(l))))).toBe(sql(keyTuples(spec, lines)));
  expect(sql(keyTuplesOfTexts(spec, lines.map((l) => rules.keyOfLine(l))))).toBe("('a\\tb', 9007199254740993), ('c\\\\d', -4)");
});
