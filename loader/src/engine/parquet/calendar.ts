// Parquet files written by Spark 2.x (or by Spark 3 in LEGACY rebase mode) store dates and
// timestamps in the hybrid Julian/Gregorian calendar: a day before 1582-10-15 counts in the
// Julian calendar. Spark reads such a file's values back with the same local date (its
// LEGACY read rebase), whatever spark.sql.parquet.*RebaseModeInRead says; so does this
// reader, so both engines (and the writer's intent) agree: 0001-01-01 written by Spark 2.4
// is 0001-01-01, not 0001-01-03 (Spark's DataSourceUtils.datetimeRebaseSpec / int96RebaseSpec).
import type { FileMetaData } from 'hyparquet';

/** Which of a file's values count in the hybrid calendar: dates and millisecond/microsecond timestamps, and INT96 timestamps. */
export interface LegacyCalendar {
  dates: boolean;
  int96: boolean;
}

export const NO_LEGACY: LegacyCalendar = { dates: false, int96: false };

/** What the footer's Spark keys say (Spark compares versions as strings, and so does this). */
export function legacyCalendar(metadata: Pick<FileMetaData, 'key_value_metadata'>): LegacyCalendar {
  const kv = new Map((metadata.key_value_metadata ?? []).map((e) => [e.key, e.value]));
  const version = kv.get('org.apache.spark.version');
  if (version === undefined) return NO_LEGACY; // not written by Spark: proleptic Gregorian
  return { dates: version < '3.0.0' || kv.has('org.apache.spark.legacyDateTime'), int96: version < '3.1.0' || kv.has('org.apache.spark.legacyINT96') };
}

/** The first day (since 1970-01-01) both calendars agree on: 1582-10-15. */
const GREGORIAN_START = -141427;

const floorDiv = (a: number, b: number) => Math.floor(a / b);

/** A hybrid-calendar day count as the proleptic Gregorian day of the same local date. */
export function julianToGregorianDays(days: number): number {
  if (days >= GREGORIAN_START) return days;
  // The Julian calendar date of the day (from its Julian day number), ...
  const c = days + 2440588 + 32082;
  const d = floorDiv(4 * c + 3, 1461);
  const e = c - floorDiv(1461 * d, 4);
  const m = floorDiv(5 * e + 2, 153);
  const day = e - floorDiv(153 * m + 2, 5) + 1;
  const month = m + 3 - 12 * floorDiv(m, 10);
  let year = d - 4800 + floorDiv(m, 10);
  // ... then that date's proleptic Gregorian day count (H. Hinnant's days_from_civil).
  if (month <= 2) year--;
  const era = floorDiv(year, 400);
  const yoe = year - era * 400;
  const doy = floorDiv(153 * (month + (month > 2 ? -3 : 9)) + 2, 5) + day - 1;
  return era * 146097 + yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy - 719468;
}

/** A hybrid-calendar timestamp (`perDay` units a day) with its local date rebased, time of day kept. */
export function julianToGregorianStamp(v: bigint, perDay: bigint): bigint {
  const day = v / perDay - (v % perDay < 0n ? 1n : 0n);
  if (day >= BigInt(GREGORIAN_START)) return v;
  return v + (BigInt(julianToGregorianDays(Number(day))) - day) * perDay;
}
