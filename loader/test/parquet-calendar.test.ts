// Spark's hybrid Julian calendar (./calendar.ts): which files use it, and what their days are.
import { julianToGregorianDays, julianToGregorianStamp, legacyCalendar } from '../src/engine/parquet/calendar';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

test('a day before 1582-10-15 keeps its local date: the Julian one becomes the Gregorian one', () => {
  expect(julianToGregorianDays(day('0001-01-01'))).toBe(day('0001-01-03')); // what Spark 3.5 reads from a Spark 2.4 file
  expect(julianToGregorianDays(day('1582-10-04'))).toBe(day('1582-10-04') - 10); // the last Julian day is 10 days earlier in Gregorian terms
  for (const d of ['1582-10-15', '1900-01-01', '1970-01-01', '2014-06-30']) expect(julianToGregorianDays(day(d))).toBe(day(d));
  // Microseconds and INT96 nanoseconds: the date moves, the time of day stays.
  const perDay = 86_400_000_000n;
  const t = BigInt(day('0001-01-01')) * perDay + 3_723_000_000n; // 01:02:03
  expect(julianToGregorianStamp(t, perDay)).toBe(BigInt(day('0001-01-03')) * perDay + 3_723_000_000n);
  expect(julianToGregorianStamp(-1n, perDay)).toBe(-1n);
});

test("which files: Spark's version and LEGACY keys, as Spark decides (INT96 from 3.1 on)", () => {
  const meta = (kv: Record<string, string>) => ({ key_value_metadata: Object.entries(kv).map(([key, value]) => ({ key, value })) });
  expect(legacyCalendar(meta({}))).toEqual({ dates: false, int96: false }); // pyarrow, DuckDB, …
  expect(legacyCalendar(meta({ 'org.apache.spark.version': '2.4.8' }))).toEqual({ dates: true, int96: true });
  expect(legacyCalendar(meta({ 'org.apache.spark.version': '3.0.3' }))).toEqual({ dates: false, int96: true });
  expect(legacyCalendar(meta({ 'org.apache.spark.version': '3.5.7' }))).toEqual({ dates: false, int96: false });
  expect(legacyCalendar(meta({ 'org.apache.spark.version': '3.3.0', 'org.apache.spark.legacyDateTime': '' }))).toEqual({ dates: true, int96: false });
  expect(legacyCalendar(meta({ 'org.apache.spark.version': '3.3.0', 'org.apache.spark.legacyINT96': '' }))).toEqual({ dates: false, int96: true });
});
