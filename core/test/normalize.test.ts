// The NYC parking-violations rules, now the built-in spec's (core/spec/datasets/nyc-parking-violations.yaml)
// through the generic rules: the same outcomes the compiled rules gave.
import { DEFAULT_DATASET, datasetOf, rulesFor } from '../src';

const rules = rulesFor(datasetOf({ dataset: DEFAULT_DATASET }));
const COLUMNS = rules.spec.columns;
const KEY_INDEX = rules.keyIndexes[0];
const OFFICIAL = COLUMNS.map((c) => (c.header === 'Days Parking In Effect' ? 'Days Parking In Effect    ' : c.header));
const col = (name: string) => COLUMNS.findIndex((c) => c.name === name);
const check = (name: string) => (raw: string) => rules.columns[col(name)].check(raw);
const normalizeDate = check('issue_date');
const normalizeTime = check('violation_time');
const mapHeader = (h: string[]) => rules.mapHeader(h);
const normalizeRecord: typeof rules.normalizeRecord = (r, m, o) => rules.normalizeRecord(r, m, o);
const newOdd = () => rules.newOddities();
/** A one-key row's outcome: the key's written text, or the reject reason. */
const normalizeKey = (raw: string) => {
  const r = new Array<string>(43).fill('');
  r[KEY_INDEX] = raw;
  const res = normalizeRecord(r, mapHeader(OFFICIAL), newOdd());
  return res.ok ? res.values[KEY_INDEX] : res.reason;
};

describe('dates', () => {
  it.each([
    ['08/04/2013', '2013-08-04'],
    ['20140831', '2014-08-31'],
    ['02/29/2012', '2012-02-29'],
    ['20000229', '2000-02-29'],
  ])('%s → %s', (raw, iso) => expect(normalizeDate(raw)).toBe(iso));
  it.each(['20140229', '13/01/2014', '01/88/2014', '0', '88888888', '2014-01-01', '19000230', '1/4/2014'])('%s is impossible', (raw) => {
    expect(normalizeDate(raw)).toBeUndefined();
  });
});

describe('times', () => {
  it.each([
    ['0752A', '07:52:00'],
    ['1240P', '12:40:00'],
    ['1205A', '00:05:00'],
    ['0001A', '00:01:00'],
    ['0115P', '13:15:00'],
    ['2359', '23:59:00'],
  ])('%s → %s', (raw, t) => expect(normalizeTime(raw)).toBe(t));
  it.each(['5436P', '1360A', '1300P', '75A', '2400', 'ABCDP'])('%s is impossible', (raw) => expect(normalizeTime(raw)).toBeUndefined());
});

describe('summons numbers', () => {
  it('keeps positive integers in canonical form', () => {
    expect(normalizeKey(' 1283294138 ')).toBe('1283294138');
    expect(normalizeKey('0001283294138')).toBe('1283294138');
    expect(normalizeKey('9223372036854775807')).toBe('9223372036854775807');
  });
  it.each([
    ['', 'missing_key'],
    ['   ', 'missing_key'],
    ['0', 'invalid_key'],
    ['000', 'invalid_key'],
    ['-5', 'invalid_key'],
    ['12a', 'invalid_key'],
    ['1.5', 'invalid_key'],
    ['9223372036854775808', 'invalid_key'],
  ])('"%s" → %s', (raw, reason) => expect(normalizeKey(raw)).toBe(reason));
});

describe('normalizeRecord', () => {
  const map = mapHeader(OFFICIAL);
  const row = () => {
    const r = new Array(43).fill('');
    r[col('summons_number')] = '1283294138';
    r[col('plate_id')] = ' GBB9093 ';
    r[col('registration_state')] = '99';
    r[col('plate_type')] = '999';
    r[col('issue_date')] = '08/04/2013';
    r[col('violation_time')] = '5436P';
    r[col('vehicle_year')] = '0';
    r[col('violation_code')] = '46';
    r[col('date_first_observed')] = '0';
    return r;
  };

  it('keeps the row, turns each oddity into NULL and counts it per field', () => {
    const odd = newOdd();
    const res = normalizeRecord(row(), map, odd);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.values[KEY_INDEX]).toBe('1283294138');
    expect(res.values[col('plate_id')]).toBe('GBB9093');
    expect(res.values[col('issue_date')]).toBe('2013-08-04');
    expect(res.values[col('violation_code')]).toBe('46');
    for (const c of ['registration_state', 'plate_type', 'violation_time', 'vehicle_year', 'date_first_observed']) expect(res.values[col(c)]).toBeNull();
    expect(odd.byColumn(rules.columnNames)).toEqual({ registration_state: 1, plate_type: 1, violation_time: 1, vehicle_year: 1, date_first_observed: 1 });
    expect(odd.total()).toBe(5);
  });

  it('blank fields are NULL without being oddities', () => {
    const odd = newOdd();
    const r = new Array(43).fill('');
    r[col('summons_number')] = '5';
    const res = normalizeRecord(r, map, odd);
    expect(res.ok && res.values.filter((v) => v === null).length).toBe(42);
    expect(odd.total()).toBe(0);
  });

  it('rejects a record whose field count differs from the header', () => {
    expect(normalizeRecord(row().slice(0, 42), map, newOdd())).toEqual({ ok: false, reason: 'column_count' });
    expect(normalizeRecord([...row(), 'x'], map, newOdd())).toEqual({ ok: false, reason: 'column_count' });
  });

  it('rejects a record without a usable key', () => {
    const r = row();
    r[col('summons_number')] = 'X12';
    expect(normalizeRecord(r, map, newOdd())).toEqual({ ok: false, reason: 'invalid_key' });
  });

  it('strings longer than the column are NULL and counted, not truncated', () => {
    const r = row();
    r[col('issuing_agency')] = 'TOO LONG';
    const odd = newOdd();
    const res = normalizeRecord(r, map, odd);
    expect(res.ok && res.values[col('issuing_agency')]).toBeNull();
    expect(odd.byColumn(rules.columnNames).issuing_agency).toBe(1);
  });
});

describe('header mapping', () => {
  it('maps the official 43 columns, with the trailing spaces of "Days Parking In Effect    "', () => {
    const m = mapHeader(OFFICIAL);
    expect(m.fieldCount).toBe(43);
    expect(m.fieldIndex).toEqual(COLUMNS.map((_, i) => i));
    expect(m.unknown).toEqual([]);
  });
  it('maps the Kaggle export with 8 extra geographic columns', () => {
    const m = mapHeader([...OFFICIAL, ...rules.spec.knownExtras.map((h) => (h === 'Community Council' ? 'Community Council ' : h))]);
    expect(m.fieldCount).toBe(51);
    expect(m.unknown).toEqual([]);
  });
  it('maps any column order, a BOM and stray spacing', () => {
    const shuffled = [...OFFICIAL].reverse();
    shuffled[0] = '\uFEFF' + shuffled[0];
    shuffled[3] = `  ${shuffled[3].toUpperCase()}  `;
    const m = mapHeader(shuffled);
    COLUMNS.forEach((c, i) => expect(m.fieldIndex[i]).toBe(42 - i));
  });
  it('an optional column the header lacks is absent (NULL), the key is required and named', () => {
    const m = mapHeader(OFFICIAL.filter((h) => h !== 'Violation Time'));
    expect(m.absent).toEqual(['violation_time']);
    expect(m.fieldIndex[col('violation_time')]).toBe(-1);
    expect(() => mapHeader(OFFICIAL.filter((h) => h !== 'Summons Number'))).toThrow(/lacks 1 required column\(s\): "Summons Number"/);
  });
  it('reports unknown headers without failing', () => {
    expect(mapHeader([...OFFICIAL, 'Shoe Size']).unknown).toEqual(['Shoe Size']);
  });
  it('refuses a header naming a column twice', () => {
    expect(() => mapHeader([...OFFICIAL, 'Plate ID'])).toThrow(/names column "plate_id" more than once/);
  });
});
