// The generic rules, type by type, against hand-written expectations (the semantics every
// engine follows: core/src/dataset/types.ts, formats.ts, record/scan.ts), and header mapping.
import { parseSpec, rulesFor, UserError, type RowRules } from '../src';

/** Rules of a one-column spec (plus an integer key `id` unless keyless). */
function one(column: Record<string, unknown>, opts: { keyless?: boolean } = {}): RowRules {
  const columns = opts.keyless ? [column] : [{ name: 'id', type: 'integer' }, column];
  return rulesFor(parseSpec(JSON.stringify({ name: 't', table: 't', columns, ...(opts.keyless ? {} : { key: 'id' }) }), 't.json'));
}
/** The column's written value for a raw field, or undefined when invalid. */
function check(column: Record<string, unknown>): (raw: string) => string | undefined {
  const rules = one({ name: 'v', ...column });
  const rule = rules.columns[rules.columns.length - 1];
  return (raw) => rule.check(raw);
}

describe('integer', () => {
  const int = check({ type: 'integer', min: '-5', max: '9223372036854775807' });
  const unsigned = check({ type: 'integer', min: 0, max: '18446744073709551615' });
  it.each([
    ['0', '0'],
    ['-0', '0'],
    ['007', '7'],
    ['-5', '-5'],
    ['9223372036854775807', '9223372036854775807'],
    ['00009223372036854775807', '9223372036854775807'],
  ])('%s → %s', (raw, out) => expect(int(raw)).toBe(out));
  it.each(['+5', '-6', '9223372036854775808', '1.0', '1e3', '-', '', ' 1', '١'])('"%s" is invalid', (raw) => expect(int(raw)).toBeUndefined());
  it('an unsigned BIGINT range', () => {
    expect(unsigned('18446744073709551615')).toBe('18446744073709551615');
    expect(unsigned('18446744073709551616')).toBeUndefined();
    expect(unsigned('-1')).toBeUndefined();
  });
  it('bounds beyond 2^53 compare exactly', () => {
    const big = check({ type: 'integer', min: '9007199254740993', max: '9007199254740995' });
    expect(big('9007199254740992')).toBeUndefined();
    expect(big('9007199254740993')).toBe('9007199254740993');
    expect(big('9007199254740996')).toBeUndefined();
  });
});

describe('decimal', () => {
  const dec = check({ type: 'decimal', precision: 5, scale: 2, min: -100, max: '999.5' });
  it.each([
    ['1.5', '1.50'],
    ['.5', '0.50'],
    ['5.', '5.00'],
    ['-0.00', '0.00'],
    ['-.5', '-0.50'],
    ['00999.50', '999.50'],
    ['-100', '-100.00'],
  ])('%s → %s', (raw, out) => expect(dec(raw)).toBe(out));
  it.each(['1.505', '1000', '999.51', '-100.01', '.', '-', '+1', '1,5', '1e2', '1.5.'])('"%s" is invalid (never rounded)', (raw) => expect(dec(raw)).toBeUndefined());
  it('scale 0 writes no point', () => expect(check({ type: 'decimal', precision: 3, scale: 0 })('12.')).toBe('12'));
});

describe('boolean', () => {
  const b = check({ type: 'boolean' });
  it.each([
    ['TRUE', '1'],
    ['y', '1'],
    ['No', '0'],
    ['0', '0'],
  ])('%s → %s', (raw, out) => expect(b(raw)).toBe(out));
  it('other spellings are invalid', () => expect(b('maybe')).toBeUndefined());
});

describe('date, time, datetime', () => {
  const date = check({ type: 'date', formats: ['MM/DD/YYYY', 'YYYYMMDD', 'D.M.YYYY'], min: '1900-01-01', max: '2099-12-31' });
  it.each([
    ['08/04/2013', '2013-08-04'],
    ['20000229', '2000-02-29'],
    ['1.2.2014', '2014-02-01'],
    ['31.12.1999', '1999-12-31'],
  ])('%s → %s', (raw, out) => expect(date(raw)).toBe(out));
  it.each(['20140229', '19000229', '13/01/2014', '18991231', '21000101', '8/4/2013', '0', '2014-01-01'])('"%s" is invalid', (raw) => expect(date(raw)).toBeUndefined());

  const time = check({ type: 'time', formats: ['hhmmA', 'HHmm', 'h:mm A'] });
  it.each([
    ['0752A', '07:52:00'],
    ['1205A', '00:05:00'],
    ['0005A', '00:05:00'],
    ['1240P', '12:40:00'],
    ['0115p', '13:15:00'],
    ['0030P', '00:30:00'],
    ['0752AM', '07:52:00'],
    ['2359', '23:59:00'],
    ['7:05 pm', '19:05:00'],
  ])('%s → %s', (raw, out) => expect(time(raw)).toBe(out));
  it.each(['1300P', '2400', '1260A', '5436P', '075A', '0752X', '7:05'])('"%s" is invalid', (raw) => expect(time(raw)).toBeUndefined());

  const dt = check({ type: 'datetime', min: '2000-01-01', max: '2030-06-30 12:00:00' });
  it.each([
    ['2014-08-31 07:52:10', '2014-08-31 07:52:10'],
    ['2014-08-31T07:52', '2014-08-31 07:52:00'],
    ['2030-06-30 12:00:00', '2030-06-30 12:00:00'],
  ])('%s → %s', (raw, out) => expect(dt(raw)).toBe(out));
  it.each(['2030-06-30 12:00:01', '1999-12-31 23:59:59', '2014-02-30 00:00:00', '2014-08-31 07:60'])('"%s" is invalid', (raw) => expect(dt(raw)).toBeUndefined());
});

describe('enum', () => {
  it('case-insensitive by default, the spec spelling written', () => {
    const e = check({ type: 'enum', values: ['Red', 'Grün'] });
    expect(e('RED')).toBe('Red');
    expect(e('grün')).toBe('Grün');
    expect(e('blue')).toBeUndefined();
  });
  it('case-sensitive on request', () => {
    const e = check({ type: 'enum', values: ['Red'], caseSensitive: true });
    expect(e('Red')).toBe('Red');
    expect(e('red')).toBeUndefined();
  });
});

describe('pattern and string', () => {
  it('the whole value matches, then case, then length', () => {
    const state = check({ type: 'pattern', pattern: '[A-Za-z]{2}', case: 'upper', minLength: 2, maxLength: 2 });
    expect(state('ny')).toBe('NY');
    expect(state('99')).toBeUndefined();
    expect(state('nyc')).toBeUndefined();
    const code = check({ type: 'pattern', pattern: 'AB|CD', maxLength: 2 });
    expect(code('CD')).toBe('CD');
    expect(code('ABCD')).toBeUndefined();
    expect(check({ type: 'pattern', pattern: '[a-z]+', case: 'upper', maxLength: 4 })('straße')).toBeUndefined(); // STRASSE is 7 long
  });
  it('string length counts UTF-16 units', () => {
    const s = check({ type: 'string', minLength: 2, maxLength: 3 });
    expect(s('abc')).toBe('abc');
    expect(s('a')).toBeUndefined();
    expect(s('abcd')).toBeUndefined();
    expect(s('a😀')).toBe('a😀'); // 3 units
  });
});

describe('rows', () => {
  const rules = rulesFor(
    parseSpec(
      JSON.stringify({
        name: 'r',
        table: 'r',
        key: ['a', 'b'],
        columns: [{ name: 'note', maxLength: 3 }, { name: 'a', type: 'integer' }, { name: 'need', type: 'integer', required: true, max: 9 }, { name: 'b', type: 'pattern', pattern: '[a-z]+' }],
      }),
      'r.json',
    ),
  );
  const map = rules.mapHeader(['note', 'a', 'need', 'b']);
  it('writes values, and the composite key text', () => {
    const odd = rules.newOddities();
    const res = rules.normalizeRecord(['too long', '007', ' 3 ', 'x\\y'.replace('\\y', 'y')], map, odd);
    expect(res).toEqual({ ok: true, values: [null, '7', '3', 'xy'] });
    if (!res.ok) return;
    expect(rules.keyOfValues(res.values)).toBe('7\txy');
    expect(rules.keyOfLine('\\N\t7\t3\txy')).toBe('7\txy');
    expect(rules.keyOfTsv(Buffer.from('..\\N\t7\t3\txy\n'), 2, 11)).toBe('7\txy');
    expect(odd.byColumn(rules.columnNames)).toEqual({ note: 1 });
  });
  it('the first failing required column in spec order names the reason; a rejected row counts no oddities', () => {
    const odd = rules.newOddities();
    expect(rules.normalizeRecord(['too long', '1', '10', ''], map, odd)).toEqual({ ok: false, reason: 'invalid_value' });
    expect(rules.normalizeRecord(['x', '', '10', 'a'], map, odd)).toEqual({ ok: false, reason: 'missing_key' });
    expect(rules.normalizeRecord(['x', '1', '', 'A'], map, odd)).toEqual({ ok: false, reason: 'missing_value' });
    expect(rules.normalizeRecord(['x', '1', '2', 'A'], map, odd)).toEqual({ ok: false, reason: 'invalid_key' });
    expect(odd.total()).toBe(0);
  });
  it('a keyless row is identified by its whole line', () => {
    const r = one({ name: 'v', type: 'string' }, { keyless: true });
    expect(r.keyIndexes).toEqual([]);
    expect(r.keyOfValues(['a\tb'])).toBe('a\\tb');
    expect(r.keyOfLine('a\\tb')).toBe('a\\tb');
    expect(r.keyOfTsv(Buffer.from('a\\tb\n'), 0, 4)).toBe('a\\tb');
  });
});

describe('header mapping', () => {
  const spec = parseSpec(
    JSON.stringify({
      name: 'h',
      table: 'h',
      key: 'id',
      knownExtras: ['Notes'],
      columns: [
        { name: 'id', header: 'ID', type: 'integer' },
        { name: 'size', header: 'Size', aliases: ['Shoe Size'], type: 'integer' },
        { name: 'colour', header: 'Colour', aliases: ['Color'] },
        { name: 'must', header: 'Must', required: true },
      ],
    }),
    'h.json',
  );
  const rules = rulesFor(spec);
  it('a subset header: absent optional columns are -1 and listed; aliases map; known extras are silent', () => {
    const m = rules.mapHeader([' color ', 'Notes', 'MUST', 'id', 'Other']);
    expect(m.fieldIndex).toEqual([3, -1, 0, 2]);
    expect(m.absent).toEqual(['size']);
    expect(m.unknown).toEqual(['Other']);
    expect(m.fieldCount).toBe(5);
    expect(rules.normalizeRecord(['Red', 'n', 'yes', '5', 'o'], m, rules.newOddities())).toEqual({ ok: true, values: ['5', null, 'Red', 'yes'] });
  });
  it('a missing key or required column is an error naming it', () => {
    expect(() => rules.mapHeader(['Size', 'Colour'])).toThrow(UserError);
    expect(() => rules.mapHeader(['Size', 'Colour'])).toThrow(/lacks 2 required column\(s\): "ID", "Must"/);
  });
  it('a column named twice (header and alias) is an error', () => {
    expect(() => rules.mapHeader(['ID', 'Must', 'Colour', 'Color'])).toThrow(/names column "colour" more than once/);
  });
  it('extraColumns: reject refuses unknown columns, naming them, but not known extras', () => {
    const strict = rulesFor({ ...spec, extraColumns: 'reject' });
    expect(() => strict.mapHeader(['ID', 'Must', 'Notes'])).not.toThrow();
    expect(() => strict.mapHeader(['ID', 'Must', 'Notes', 'Shoe Colour'])).toThrow(/does not know: "Shoe Colour"/);
  });
});

describe('NULL spellings (nullValues)', () => {
  const rules = rulesFor(
    parseSpec(
      [
        'name: n',
        'table: n',
        'key: id',
        "nullValues: [NA, '\\N', '-']",
        'columns:',
        '  - {name: id, type: integer}',
        '  - {name: need, type: date, required: true}',
        '  - {name: count, type: integer}',
        "  - {name: price, type: decimal, precision: 5, scale: 2, nullValues: ['n/a']}",
        '  - {name: note, maxLength: 4, nullValues: []}',
        "  - {name: state, type: pattern, pattern: '[A-Za-z]{2}', case: upper}",
      ].join('\n'),
      'n.yaml',
    ),
  );
  const map = rules.mapHeader(['id', 'need', 'count', 'price', 'note', 'state']);
  const row = (fields: string[]) => {
    const odd = rules.newOddities();
    return { res: rules.normalizeRecord(fields, map, odd), odd: odd.byColumn(rules.columnNames) };
  };
  it('a column inherits the dataset\'s list unless it has its own; [] turns them off', () => {
    expect(rules.spec.columns.map((c) => c.nullValues)).toEqual([['NA', '\\N', '-'], ['NA', '\\N', '-'], ['NA', '\\N', '-'], ['n/a'], [], ['NA', '\\N', '-']]);
  });
  it('a spelling is NULL, not an oddity, compared trimmed and case-sensitively', () => {
    expect(row(['1', '2024-01-01', ' NA ', 'n/a', 'NA', '-'])).toEqual({ res: { ok: true, values: ['1', '2024-01-01', null, null, 'NA', null] }, odd: {} });
    // Another case is no spelling: an invalid value (an oddity), or a value where the type takes it.
    expect(row(['1', '2024-01-01', 'na', 'N/A', '\\N', 'na'])).toEqual({ res: { ok: true, values: ['1', '2024-01-01', null, null, '\\N', 'NA'] }, odd: { count: 1, price: 1 } });
    // The dataset's spellings do not apply where the column has its own list.
    expect(row(['1', '2024-01-01', '\\N', 'NA', '-', 'ny'])).toEqual({ res: { ok: true, values: ['1', '2024-01-01', null, null, '-', 'NY'] }, odd: { price: 1 } });
  });
  it('in a key column missing_key, in a required column missing_value', () => {
    expect(row(['NA', '2024-01-01', '1', '1', 'a', 'ny']).res).toEqual({ ok: false, reason: 'missing_key' });
    expect(row(['1', '\\N', '1', '1', 'a', 'ny']).res).toEqual({ ok: false, reason: 'missing_value' });
    expect(row(['1', 'soon', '1', '1', 'a', 'ny']).res).toEqual({ ok: false, reason: 'invalid_value' });
  });
});
