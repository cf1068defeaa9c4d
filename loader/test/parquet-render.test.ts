// Parquet values to the text a CSV field would hold (loader/src/engine/parquet/render.ts) and
// the check of a file's columns against the spec (schema.ts): pure logic, exact outcomes.
import type { HeaderMap, ResolvedColumn } from '@pipewarden/core';
import type { FileMetaData, SchemaElement } from 'hyparquet';
import { renderer } from '../src/engine/parquet/render';
import { checkAgainstSpec, parquetColumns, type ParquetColumn } from '../src/engine/parquet/schema';

const column = (e: Omit<SchemaElement, 'name'>): ParquetColumn => parquetColumns('f.parquet', { schema: [{ name: 'root', num_children: 1 }, { name: 'c', ...e }] } as unknown as FileMetaData)[0];
const target = (c: Partial<ResolvedColumn> & Pick<ResolvedColumn, 'type'>) => ({ name: 'col', header: 'c', aliases: [], required: false, key: false, nullValues: [], ...c }) as ResolvedColumn;
const render = (e: Omit<SchemaElement, 'name'>, v: unknown, t?: ResolvedColumn) => renderer(column(e), t)(v);

test('decimals are written exactly, whatever their physical type', () => {
  const dec = (type: SchemaElement['type'], scale: number) => ({ type, logical_type: { type: 'DECIMAL' as const, precision: 38, scale } });
  expect(render(dec('INT32', 2), 12345)).toBe('123.45');
  expect(render(dec('INT64', 2), -5n)).toBe('-0.05');
  expect(render(dec('INT64', 0), 9007199254740993n)).toBe('9007199254740993'); // beyond 2^53
  expect(render(dec('FIXED_LEN_BYTE_ARRAY', 1), Uint8Array.of(0xff, 0x85))).toBe('-12.3'); // two's complement
  const big = 12345678901234567890123456789012345678n;
  const bytes = Buffer.from(big.toString(16).padStart(32, '0'), 'hex');
  expect(render(dec('FIXED_LEN_BYTE_ARRAY', 10), new Uint8Array(bytes))).toBe('1234567890123456789012345678.9012345678');
  // Trailing zeros of the fraction go (a DECIMAL(38,18) value must fit a column of scale 2).
  expect([render(dec('INT64', 3), 12500n), render(dec('INT64', 2), 1200n), render(dec('INT32', 2), -5)]).toEqual(['12.5', '12', '-0.05']);
});

test('floats: the shortest text that reads back, never an exponent', () => {
  expect(render({ type: 'FLOAT' }, Math.fround(0.1))).toBe('0.1');
  expect(render({ type: 'FLOAT' }, Math.fround(16777217))).toBe('16777216');
  expect(render({ type: 'DOUBLE' }, 0.1)).toBe('0.1');
  expect(render({ type: 'DOUBLE' }, 1e21)).toBe('1000000000000000000000');
  expect(render({ type: 'DOUBLE' }, -1.25e-7)).toBe('-0.000000125');
});

test('integers: signed as stored, unsigned ones read as unsigned', () => {
  expect(render({ type: 'INT64' }, -42n)).toBe('-42');
  expect(render({ type: 'INT32', logical_type: { type: 'INTEGER', bitWidth: 32, isSigned: false } }, -1)).toBe('4294967295');
  expect(render({ type: 'INT64', converted_type: 'UINT_64' }, -1n)).toBe('18446744073709551615');
});

test("dates and timestamps are written in the target column's first format, sub-seconds kept", () => {
  const date = target({ type: 'date', formats: ['MM/DD/YYYY', 'YYYYMMDD'] } as Partial<ResolvedColumn> & { type: 'date' });
  const datetime = target({ type: 'datetime', formats: ['YYYY-MM-DD HH:mm:ss'] } as Partial<ResolvedColumn> & { type: 'datetime' });
  expect(render({ type: 'INT32', logical_type: { type: 'DATE' } }, 16085, date)).toBe('01/15/2014');
  expect(render({ type: 'INT32', converted_type: 'DATE' }, 16085)).toBe('2014-01-15');
  expect(render({ type: 'INT32', converted_type: 'DATE' }, 16085, datetime)).toBe('2014-01-15 00:00:00');
  const micros = { type: 'INT64' as const, logical_type: { type: 'TIMESTAMP' as const, isAdjustedToUTC: true, unit: 'MICROS' as const } };
  expect(render(micros, 1_400_000_000_000_000n, datetime)).toBe('2014-05-13 16:53:20');
  // DATETIME holds whole seconds: the fraction stays, and fails the format (counted, not rounded).
  expect(render(micros, 1_400_000_000_123_456n, datetime)).toBe('2014-05-13 16:53:20.123456');
  expect(render(micros, -1n)).toBe('1969-12-31 23:59:59.999999');
  // A timestamp at midnight is a date; any other time of day is not dropped.
  expect(render(micros, 1_389_744_000_000_000n, date)).toBe('01/15/2014');
  expect(render(micros, 1_389_744_000_000_001n, date)).toBe('2014-01-15 00:00:00.000001');
  // INT96 (old Spark and Impala files) arrives as its 12 bytes: nanoseconds of the day, then the Julian day.
  const int96 = (nanos: bigint, julianDay: number) => {
    const b = new Uint8Array(12);
    const v = new DataView(b.buffer);
    v.setBigInt64(0, nanos, true);
    v.setInt32(8, julianDay, true);
    return b;
  };
  expect(render({ type: 'INT96' }, int96(60_800_000_000_000n, 2456791))).toBe('2014-05-13 16:53:20');
  // Arrow writes a time before 1970 as the following day less some nanoseconds (found by the Spark engine's parity test).
  expect(render({ type: 'INT96' }, int96(-20_224_000_000_000n, 2429403))).toBe('1939-05-18 18:22:56');
  expect(render({ type: 'INT32', converted_type: 'TIME_MILLIS' }, 45_296_789)).toBe('12:34:56.789');
  // A format without seconds cannot hold 20 s: the value stays whole (and fails the format: counted).
  const minutes = target({ type: 'datetime', formats: ['YYYY-MM-DD HH:mm'] } as Partial<ResolvedColumn> & { type: 'datetime' });
  expect(render(micros, 1_400_000_000_000_000n, minutes)).toBe('2014-05-13 16:53:20');
  expect(render(micros, 1_399_999_980_000_000n, minutes)).toBe('2014-05-13 16:53');
  const hhmm = target({ type: 'time', formats: ['HHmm'] } as Partial<ResolvedColumn> & { type: 'time' });
  expect([render({ type: 'INT32', converted_type: 'TIME_MILLIS' }, 45_240_000, hhmm), render({ type: 'INT32', converted_type: 'TIME_MILLIS' }, 45_296_000, hhmm)]).toEqual(['1234', '12:34:56']);
});

test('booleans take the target column spelling; text and UUIDs as stored', () => {
  const bool = target({ type: 'boolean', trueValues: ['y'], falseValues: ['n'] } as Partial<ResolvedColumn> & { type: 'boolean' });
  expect([render({ type: 'BOOLEAN' }, true, bool), render({ type: 'BOOLEAN' }, false, bool), render({ type: 'BOOLEAN' }, true)]).toEqual(['y', 'n', 'true']);
  expect(render({ type: 'BYTE_ARRAY', converted_type: 'UTF8' }, new TextEncoder().encode('Ünïcode'))).toBe('Ünïcode');
  expect(render({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' } }, Uint8Array.from({ length: 16 }, (_, i) => i))).toBe('00010203-0405-0607-0809-0a0b0c0d0e0f');
});

test('nested columns are refused by name; a kind that cannot feed the spec column is an error naming both', () => {
  expect(() => parquetColumns('f.parquet', { schema: [{ name: 'root', num_children: 1 }, { name: 'tags', num_children: 1 }, { name: 'x', type: 'INT32' }] } as unknown as FileMetaData)).toThrow(/f\.parquet: column "tags" is nested/);
  expect(() => parquetColumns('f.parquet', { schema: [{ name: 'root', num_children: 1 }, { name: 'xs', type: 'INT32', repetition_type: 'REPEATED' }] } as unknown as FileMetaData)).toThrow(/column "xs" is nested \(a repeated field\)/);
  const ts = column({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } });
  const map: HeaderMap = { fieldIndex: [0], fieldCount: 1, absent: [], unknown: [] };
  expect(() => checkAgainstSpec('f.parquet', [ts], map, [target({ type: 'integer' } as Partial<ResolvedColumn> & { type: 'integer' })])).toThrow(/column "c" holds timestamp values \(INT64 TIMESTAMP\), which cannot load into col, an integer column/);
  expect(() => checkAgainstSpec('f.parquet', [ts], map, [target({ type: 'string' } as Partial<ResolvedColumn> & { type: 'string' })])).not.toThrow();
  const blob = column({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: 4 });
  expect(() => checkAgainstSpec('f.parquet', [blob], map, [target({ type: 'string' } as Partial<ResolvedColumn> & { type: 'string' })])).toThrow(/cannot load into col: FIXED_LEN_BYTE_ARRAY values have no text form/);
  // A column the spec does not read may be anything flat.
  expect(() => checkAgainstSpec('f.parquet', [blob], { ...map, fieldIndex: [-1] }, [target({ type: 'string' } as Partial<ResolvedColumn> & { type: 'string' })])).not.toThrow();
});
