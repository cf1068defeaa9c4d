// A Parquet value as the text a CSV field would hold, so it goes through the dataset spec's
// rules exactly like one (the contract: one set of rules, whatever the format).
// Values arrive undecorated from ./pages.ts (integers, bigints, day counts, byte arrays):
// the conversions are done here, exactly — a DECIMAL(38,10) keeps every digit, a
// microsecond timestamp keeps its microseconds (which then fail a DATETIME column's
// whole-second formats: counted as invalid, never rounded away).
import { parseFormat, type FormatToken, type ResolvedColumn } from '@pipewarden/core';
import { NO_LEGACY, julianToGregorianDays, julianToGregorianStamp, type LegacyCalendar } from './calendar';
import type { ParquetColumn, TimeUnit, ValueKind } from './schema';

/** A value's text (never called for NULL). Stored text (BYTE_ARRAY) is copied as bytes by ./row-writer.ts instead. */
export type Render = (v: unknown) => string;

const PER_SECOND: Record<TimeUnit, bigint> = { MILLIS: 1000n, MICROS: 1_000_000n, NANOS: 1_000_000_000n };

interface Clock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Sub-second digits ('' when none). */
  fraction: string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Floor division and remainder of bigints (a negative timestamp is before 1970). */
function divmod(a: bigint, b: bigint): [bigint, bigint] {
  const q = a / b - (a % b < 0n ? 1n : 0n);
  return [q, a - q * b];
}

function fractionOf(rest: bigint, unit: TimeUnit): string {
  if (rest === 0n) return '';
  return rest.toString().padStart(PER_SECOND[unit].toString().length - 1, '0').replace(/0+$/, '');
}

function clockOf(seconds: bigint, fraction: string): Clock {
  const d = new Date(Number(seconds) * 1000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), fraction };
}

/**
 * An INT96 timestamp's 12 bytes (little-endian: nanoseconds of the day as a signed 64-bit
 * integer, then the Julian day) as nanoseconds since 1970. The nanoseconds are signed:
 * Arrow writes a time before 1970 as the day after, less some nanoseconds (Spark reads them so).
 */
function int96Nanos(b: Uint8Array): bigint {
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  return (BigInt(view.getInt32(8, true)) - 2440588n) * 86_400_000_000_000n + view.getBigInt64(0, true);
}

function timestampClock(v: bigint, unit: TimeUnit): Clock {
  const [s, rest] = divmod(v, PER_SECOND[unit]);
  return clockOf(s, fractionOf(rest, unit));
}

/**
 * A clock in the column's first format (so the column reads it back exactly), or ISO when
 * the format cannot hold all of it — a time of day in a date column, seconds in a format
 * without them: the text then fails the column's formats and is counted, never cut short.
 */
function write(c: Clock, tokens: FormatToken[] | undefined, iso: 'date' | 'datetime' | 'time'): string {
  const frac = c.fraction ? '.' + c.fraction : '';
  const has = (...kinds: FormatToken['kind'][]) => tokens!.some((t) => kinds.includes(t.kind));
  if (tokens && (((c.second || c.fraction) && !has('second')) || (c.minute && !has('minute')) || (c.hour && !has('hour24', 'hour12')))) tokens = undefined;
  if (!tokens) {
    const date = `${pad(c.year, 4)}-${pad(c.month)}-${pad(c.day)}`;
    const time = `${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}${frac}`;
    return iso === 'date' ? date : iso === 'time' ? time : `${date} ${time}`;
  }
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'literal') out += t.text;
    else if (t.kind === 'year') out += pad(c.year, 4);
    else if (t.kind === 'month' || t.kind === 'day') out += pad(c[t.kind], t.digits);
    else if (t.kind === 'hour24') out += pad(c.hour, t.digits);
    else if (t.kind === 'hour12') out += pad(c.hour % 12 === 0 ? 12 : c.hour % 12, t.digits);
    else if (t.kind === 'minute') out += pad(c.minute);
    else if (t.kind === 'second') out += pad(c.second);
    else out += c.hour < 12 ? 'AM' : 'PM';
  }
  return out + frac;
}

function decimalText(v: unknown, scale: number): string {
  let n: bigint;
  if (v instanceof Uint8Array) {
    n = 0n;
    for (const b of v) n = (n << 8n) | BigInt(b);
    if (v.length && v[0] & 0x80) n -= 1n << BigInt(v.length * 8); // two's complement, big-endian
  } else n = BigInt(v as number | bigint);
  const neg = n < 0n;
  const digits = (neg ? -n : n).toString().padStart(scale + 1, '0');
  // Trailing zeros of the fraction say nothing of the value, and a column of a smaller scale
  // (Spark writes DECIMAL(38,18)) would refuse them: 12.500 is written 12.5, 12.00 as 12.
  const fraction = scale ? digits.slice(-scale).replace(/0+$/, '') : '';
  const text = digits.slice(0, digits.length - scale) + (fraction ? '.' + fraction : '');
  return neg ? '-' + text : text;
}

/** A number's text without an exponent (1e+21 → 1000000000000000000000; 1e-7 → 0.0000001). */
function plainNumber(s: string): string {
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, rest = '', exp] = m;
  const digits = lead + rest;
  const point = 1 + Number(exp); // where the decimal point goes in `digits`
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`.replace(/\.?0+$/, '');
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The shortest text that reads back as this float32 (String() would write its float64 widening: 0.10000000149011612). */
function float32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return plainNumber(String(Number(s)));
  }
  return plainNumber(String(v));
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8');
}

function uuidText(v: unknown): string {
  const h = Buffer.from(v as Uint8Array).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * How one Parquet column's values become text: everything a renderer depends on, as plain
 * data. The inline engine builds its renderer from it (rendererOf); the Spark engine hands it
 * to its job (loader/src/engine/spark/job/pwparquet.py ports rendererOf), so both write the same text.
 */
export interface RenderSpec {
  kind: ValueKind;
  /** Decimal: digits after the point. */
  scale: number;
  /** Timestamp and time: the unit the values are stored in. */
  unit: TimeUnit;
  /** A FLOAT (32-bit) column: written as the shortest text that reads back as a float32. */
  float32: boolean;
  /** An unsigned integer stored in a signed physical type. */
  unsigned: boolean;
  /** A date, datetime or time target's first format (undefined: ISO). */
  tokens?: FormatToken[];
  /** The ISO form a clock takes when the format cannot hold it (or there is none). */
  iso: 'date' | 'datetime' | 'time';
  /** A boolean target's spellings of true and false (undefined: "true", "false"). */
  booleans?: [string, string];
  /** Dates and timestamps stored in Spark's hybrid Julian calendar (./calendar.ts): read with their local date. Spark applies this itself. */
  julian: boolean;
}

/** A timestamp of an instant (TIMESTAMP(isAdjustedToUTC=true), or the older converted types), not a local date-time. */
function adjustedToUtc(pc: ParquetColumn): boolean {
  const lt = pc.element.logical_type;
  return lt?.type !== 'TIMESTAMP' || lt.isAdjustedToUTC;
}

/** What renders the values of Parquet column `pc` feeding `target` (undefined: the spec does not read it; the text is for dead letters). */
export function renderSpec(pc: ParquetColumn, target: ResolvedColumn | undefined, legacy: LegacyCalendar = NO_LEGACY): RenderSpec {
  const tokens = target && (target.type === 'date' || target.type === 'datetime' || target.type === 'time') ? parseFormat(target.formats[0]) : undefined;
  // A date column takes a timestamp at midnight; another time of day stays in the text (write()).
  const iso = pc.kind === 'time' ? 'time' : pc.kind === 'timestamp' || target?.type === 'datetime' ? 'datetime' : 'date';
  return {
    kind: pc.kind,
    scale: pc.scale,
    unit: pc.unit,
    float32: pc.element.type === 'FLOAT',
    unsigned: pc.unsigned,
    ...(tokens ? { tokens } : {}),
    iso,
    ...(target?.type === 'boolean' ? { booleans: [target.trueValues[0], target.falseValues[0]] as [string, string] } : {}),
    // Spark's LEGACY read rebase covers dates, INT96, and millisecond and microsecond timestamps
    // adjusted to UTC (its TimestampType; not nanoseconds, nor local date-times: TimestampNTZ).
    julian: pc.element.type === 'INT96' ? legacy.int96 : (pc.kind === 'date' || (pc.kind === 'timestamp' && pc.unit !== 'NANOS' && adjustedToUtc(pc))) && legacy.dates,
  };
}

/** The renderer a RenderSpec describes. */
export function rendererOf(r: RenderSpec): Render {
  const { tokens, iso } = r;
  switch (r.kind) {
    case 'text':
      return text;
    case 'uuid':
      return uuidText;
    case 'integer':
      return (v) => (r.unsigned ? (typeof v === 'bigint' ? BigInt.asUintN(64, v) : (v as number) >>> 0) : (v as number | bigint)).toString();
    case 'decimal':
      return (v) => decimalText(v, r.scale);
    case 'float':
      return r.float32 ? (v) => float32Text(v as number) : (v) => plainNumber(String(v));
    case 'boolean':
      return (v) => (r.booleans ? r.booleans[v ? 0 : 1] : String(v));
    case 'date':
      return r.julian ? (v) => write(clockOf(BigInt(julianToGregorianDays(v as number)) * 86400n, ''), tokens, iso) : (v) => write(clockOf(BigInt(v as number) * 86400n, ''), tokens, iso);
    case 'timestamp': {
      const perDay = 86400n * PER_SECOND[r.unit];
      const stamp = (v: unknown) => (v instanceof Uint8Array ? int96Nanos(v) : BigInt(v as number | bigint));
      return r.julian ? (v) => write(timestampClock(julianToGregorianStamp(stamp(v), perDay), r.unit), tokens, iso) : (v) => write(timestampClock(stamp(v), r.unit), tokens, iso);
    }
    case 'time':
      return (v) => {
        const [s, rest] = divmod(BigInt(v as number | bigint), PER_SECOND[r.unit]);
        return write(clockOf(s, fractionOf(rest, r.unit)), tokens, iso);
      };
  }
}

/** The renderer of one Parquet column feeding `target` (undefined: the spec does not read it; the text is for dead letters). */
export function renderer(pc: ParquetColumn, target: ResolvedColumn | undefined, legacy: LegacyCalendar = NO_LEGACY): Render {
  return rendererOf(renderSpec(pc, target, legacy));
}
