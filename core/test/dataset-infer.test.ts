import { columnNameOf, datasetNameOf, inferSpec, type InferredSpec } from '../src/dataset/infer';
import { parseSpec } from '../src/dataset/load';

/** A table of `count` rows made by `row(i)`. */
function table(header: string[], count: number, row: (i: number) => string[]) {
  return { header, rows: Array.from({ length: count }, (_, i) => row(i)) };
}

function col(p: InferredSpec, name: string) {
  const c = p.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name} in ${p.columns.map((x) => x.name).join(', ')}`);
  return c;
}

/** Every proposal must be a spec readSpec accepts. */
function parsed(p: InferredSpec) {
  return parseSpec(p.yaml, 'proposal.yaml');
}

describe('column names from headers', () => {
  test('snake_case, SQL-safe, deduplicated', () => {
    expect(columnNameOf('Summons Number', 0)).toBe('summons_number');
    expect(columnNameOf('Unregistered Vehicle?', 0)).toBe('unregistered_vehicle');
    expect(columnNameOf('2nd Street', 0)).toBe('c_2nd_street');
    expect(columnNameOf('Café Größe', 0)).toBe('cafe_grosse');
    expect(columnNameOf('orderId', 0)).toBe('order_id');
    expect(columnNameOf('', 4)).toBe('column_5');
    expect(columnNameOf('_pw_batch', 0)).toBe('col_pw_batch');
    const p = inferSpec(table(['Name', 'name ', 'NAME!'], 3, (i) => [`a${i}`, `b${i}`, `c${i}`]), { name: 'dup' });
    // "Name" and "name " are the same header: only the first is a column.
    expect(p.columns.map((c) => c.name)).toEqual(['name', 'name_3']);
    expect(p.keyWhy.join(' ')).toContain('the header repeats "name"');
    expect(datasetNameOf('/data/NYC Trips 2019.csv')).toBe('nyc-trips-2019');
  });
});

describe('types: the narrowest that fits 99% of the non-empty values', () => {
  const p = inferSpec(
    table(['id', 'amount', 'flag', 'day', 'when', 'at', 'colour', 'note', 'zip', 'empty', 'mostly int'], 400, (i) => [
      String(1000 + i),
      `${i % 37}.${String(i % 100).padStart(2, '0')}`,
      i % 3 ? 'Yes' : 'no',
      `${String((i % 12) + 1).padStart(2, '0')}/${String((i % 28) + 1).padStart(2, '0')}/2019`,
      `2020-01-${String((i % 28) + 1).padStart(2, '0')} 1${i % 10}:0${i % 10}:00`,
      `${(i % 12) + 1}:${String(i % 60).padStart(2, '0')} ${i % 2 ? 'PM' : 'AM'}`,
      ['red', 'Green', 'blue'][i % 3],
      `free text number ${i}${i === 7 ? ' with a much longer tail of words here' : ''}`,
      String(i % 50).padStart(5, '0'),
      '',
      i === 3 ? 'x3' : String(i * 3),
    ]),
    { name: 'shapes', enumMinValues: 100 },
  );

  test('integer with bounds widened by one digit', () => {
    expect(col(p, 'id')).toMatchObject({ type: 'integer', options: { min: '0', max: '99999' } });
    expect(col(p, 'id').why[0]).toBe('400 of 400 values are integers from 1000 to 1399; the bounds allow one more digit');
  });
  test('decimal with the precision and scale seen', () => {
    expect(col(p, 'amount')).toMatchObject({ type: 'decimal', options: { precision: 5, scale: 2 } });
  });
  test('boolean from a pair of spellings, any case', () => {
    expect(col(p, 'flag')).toMatchObject({ type: 'boolean', options: { trueValues: ['yes'], falseValues: ['no'] } });
  });
  test('date, datetime and time by format, with the share that parses', () => {
    expect(col(p, 'day')).toMatchObject({ type: 'date', options: { formats: ['MM/DD/YYYY'], min: '1900-01-01', max: '2099-12-31' } });
    expect(col(p, 'day').why[0]).toBe('400 of 400 values parse as MM/DD/YYYY');
    expect(col(p, 'when')).toMatchObject({ type: 'datetime', options: { formats: ['YYYY-MM-DD HH:mm:ss'] } });
    expect(col(p, 'at')).toMatchObject({ type: 'time', options: { formats: ['h:mm A'] } });
  });
  test('enum of few short values over a large sample; string with a rounded maxLength', () => {
    expect(col(p, 'colour')).toMatchObject({ type: 'enum', options: { values: ['red', 'Green', 'blue'] } });
    expect(col(p, 'note')).toMatchObject({ type: 'string', options: { maxLength: 64 } });
  });
  test('zero-padded codes stay text; an all-empty column is a string to check', () => {
    expect(col(p, 'zip')).toMatchObject({ type: 'pattern', options: { pattern: '[0-9]{5}', minLength: 5, maxLength: 5 } });
    expect(col(p, 'empty')).toMatchObject({ type: 'string', nonEmpty: 0 });
  });
  test('one misfit in 400 keeps the type and says what becomes NULL', () => {
    expect(col(p, 'mostly_int')).toMatchObject({ type: 'integer', fitted: 399 });
    expect(col(p, 'mostly_int').why[0]).toContain('399 of 400 values are integers from 0 to 1197 (the other 1 would load as NULL)');
  });
  test('the key: the unique integer column named id; the proposal parses', () => {
    expect(p.key).toEqual(['id']);
    const spec = parsed(p);
    expect(spec.key).toEqual(['id']);
    expect(spec.duplicates).toBe('first');
    expect(spec.columns.map((c) => c.type)).toEqual(['integer', 'decimal', 'boolean', 'date', 'datetime', 'time', 'enum', 'string', 'pattern', 'string', 'integer']);
    expect(spec.columns.every((c) => c.required === c.key)).toBe(true);
  });
  test('too few values for an enum: a string', () => {
    const small = inferSpec(table(['c'], 20, (i) => [['a', 'b'][i % 2]]), { name: 'small' });
    expect(col(small, 'c').type).toBe('string');
  });
});

describe('formats: mixes, and ambiguity said out loud', () => {
  test('12-hour NYC times with a few 24-hour ones take both formats', () => {
    const p = inferSpec(table(['t'], 200, (i) => [i % 50 === 0 ? '1430' : `${String((i % 12) + 1).padStart(2, '0')}${String(i % 60).padStart(2, '0')}${i % 2 ? 'P' : 'A'}`]), { name: 't' });
    expect(col(p, 't')).toMatchObject({ type: 'time', options: { formats: ['hhmmA', 'HHmm'] } });
    parsed(p);
  });
  test('day-first or month-first cannot be told when every day is 12 or less', () => {
    const p = inferSpec(table(['d'], 30, (i) => [`0${(i % 9) + 1}/0${(i % 7) + 1}/2020`]), { name: 'd' });
    expect(col(p, 'd').why.join(' ')).toContain('also parses as DD/MM/YYYY');
  });
  test('4-digit numbers are integers, not times', () => {
    const p = inferSpec(table(['n'], 50, (i) => [String(1000 + i * 7)]), { name: 'n' });
    expect(col(p, 'n').type).toBe('integer');
  });
});

describe('keys', () => {
  test('a composite key when no single column is unique', () => {
    const p = inferSpec(table(['station', 'day', 'reading'], 60, (i) => [`S${i % 6}`, `2021-03-${String(Math.floor(i / 6) + 1).padStart(2, '0')}`, String(i % 4)]), { name: 'weather' });
    expect(p.key).toEqual(['station', 'day']);
    const spec = parsed(p);
    expect(spec.key).toEqual(['station', 'day']);
    expect(spec.columns.filter((c) => c.required).map((c) => c.name)).toEqual(['station', 'day']);
  });
  test('prefers an integer named like an id over other unique columns', () => {
    const p = inferSpec(table(['label', 'order number'], 30, (i) => [`L${i}`, String(500 + i)]), { name: 'orders' });
    expect(p.key).toEqual(['order_number']);
    expect(p.keyWhy[0]).toContain('also unique: label');
  });
  test('a column with an empty value is no key; nothing unique: keyless, duplicates kept, said so', () => {
    const p = inferSpec(table(['event', 'level'], 40, (i) => [['start', 'stop'][i % 2], ['info', 'warn', ''][i % 3]]), { name: 'log' });
    expect(p.key).toEqual([]);
    expect(p.yaml).toContain('duplicates: keep');
    expect(p.yaml).toContain('# Without a key every row is kept as the source has it (duplicates: keep)');
    const spec = parsed(p);
    expect(spec.key).toEqual([]);
    expect(spec.duplicates).toBe('keep');
  });
  test('records with another field count are left out and counted', () => {
    const t = table(['a', 'b'], 10, (i) => [String(i), 'x']);
    t.rows.push(['only one']);
    const p = inferSpec(t, { name: 'ragged' });
    expect(p.rows).toBe(10);
    expect(p.skipped).toBe(1);
    expect(p.yaml).toContain('# 1 more records had another field count than the header and were not used.');
    parsed(p);
  });
});

describe('NULL spellings', () => {
  // R and database exports: NA, \N and - where a value is missing, in columns otherwise typed.
  const p = inferSpec(
    table(['id', 'score', 'day', 'price', 'label', 'flag'], 300, (i) => [
      String(i + 1),
      i % 10 === 0 ? 'NA' : i % 25 === 1 ? '\\N' : String(i % 90),
      i % 7 === 0 ? 'NA' : `2021-03-${String((i % 28) + 1).padStart(2, '0')}`,
      i % 11 === 0 ? '-' : `${i % 40}.5`,
      i % 9 === 0 ? 'NA' : `label ${i}`,
      i % 13 === 0 ? '?' : i % 2 ? 'yes' : 'no',
    ]),
    { name: 'r-export' },
  );
  test('spellings seen in several typed columns are the dataset\'s nullValues; they do not spoil the type', () => {
    expect(p.nullValues).toEqual(['NA']);
    expect(col(p, 'score')).toMatchObject({ type: 'integer', options: { min: '0', max: '999' }, nullValues: ['NA', '\\N'] });
    expect(col(p, 'score').why.join(' ')).toContain('"NA" ×30, "\\\\N" ×12: read as NULL (nullValues)');
    expect(col(p, 'day')).toMatchObject({ type: 'date', options: { formats: ['YYYY-MM-DD'] } });
    expect(col(p, 'day').nullValues).toBeUndefined(); // the dataset's list covers it
    expect(col(p, 'price')).toMatchObject({ type: 'decimal', nullValues: ['NA', '-'] });
    expect(col(p, 'flag')).toMatchObject({ type: 'boolean', nullValues: ['NA', '?'] });
    // Text stays text (the dataset's NA still reads as NULL there).
    expect(col(p, 'label')).toMatchObject({ type: 'string' });
    expect(col(p, 'label').nullValues).toBeUndefined();
  });
  test('the proposal parses with the lists on the right columns and loads every value as a value or NULL', () => {
    const spec = parsed(p);
    expect(p.yaml).toContain('nullValues: ["NA"]');
    const byName = Object.fromEntries(spec.columns.map((c) => [c.name, c.nullValues]));
    expect(byName).toEqual({ id: ['NA'], score: ['NA', '\\N'], day: ['NA'], price: ['NA', '-'], label: ['NA'], flag: ['NA', '?'] });
  });
  test('a spelling in one column only is that column\'s; a column of text keeps them as text', () => {
    const q = inferSpec(table(['n', 'who'], 100, (i) => [i % 5 ? String(i) : 'N/A', i % 5 ? `w${i}` : 'N/A']), { name: 'one' });
    expect(q.nullValues).toEqual([]);
    expect(col(q, 'n')).toMatchObject({ type: 'integer', nullValues: ['N/A'] });
    expect(col(q, 'who').nullValues).toBeUndefined();
    expect(parsed(q).columns.map((c) => c.nullValues)).toEqual([['N/A'], []]);
  });
});
