// A Parquet value as the text a CSV field would hold, so it goes through the dataset spec's
// rules exactly like one (the contract: one set of rules, whatever the format).
// Values arrive undecorated from ./pages.ts (integers, bigints, day counts, byte arrays):
// the conversions are done here, exactly — a DECIMAL(38,10) keeps every digit, a
// microsecond timestamp keeps its microseconds (which then fail a DATETIME column's
// whole-second formats: counted as invalid, never rounded away).
import { parseFormat, type FormatToken, type ResolvedColumn } from '@pipewarden/core';
import type { ParquetColumn, TimeUnit } from './schema';

/** A value's text (never called for NULL). Stored text (BYTE_ARRAY) is copied as bytes by ./batches.ts instead. */
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

function timestampClock(v: bigint | number, unit: TimeUnit): Clock {
  const [s, rest] = divmod(BigInt(v), PER_SECOND[unit]);
  return clockOf(s, fractionOf(rest, unit));
}

/** In the column's first format (a date or datetime column reads it back exactly); ISO otherwise. */
function write(c: Clock, tokens: FormatToken[] | undefined, withTime: boolean): string {
  const frac = c.fraction ? '.' + c.fraction : '';
  if (!tokens) {
    const date = `${pad(c.year, 4)}-${pad(c.month)}-${pad(c.day)}`;
    return withTime ? `${date} ${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}${frac}` : date;
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
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? '-' + text : text;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8');
}

function uuidText(v: unknown): string {
  const h = Buffer.from(v as Uint8Array).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The renderer of one Parquet column feeding `target` (undefined: the spec does not read it; the text is for dead letters). */
export function renderer(pc: ParquetColumn, target: ResolvedColumn | undefined): Render {
  const tokens = target && (target.type === 'date' || target.type === 'datetime' || target.type === 'time') ? parseFormat(target.formats[0]) : undefined;
  switch (pc.kind) {
    case 'text':
      return text;
    case 'uuid':
      return uuidText;
    case 'integer':
      return (v) => (pc.unsigned ? (typeof v === 'bigint' ? BigInt.asUintN(64, v) : (v as number) >>> 0) : (v as number | bigint)).toString();
    case 'decimal':
      return (v) => decimalText(v, pc.scale);
    case 'float':
      return (v) => String(v);
    case 'boolean':
      return (v) => (target?.type === 'boolean' ? (v ? target.trueValues[0] : target.falseValues[0]) : String(v));
    case 'date':
      return (v) => write(clockOf(BigInt(v as number) * 86400n, ''), tokens, target?.type === 'datetime');
    case 'timestamp':
      return (v) => {
        const c = timestampClock(v as bigint, pc.unit);
        // A date column takes a timestamp at midnight; any other time of day would be lost, so
        // it stays in the text (and fails the date's formats: counted, not dropped).
        const lossy = target?.type === 'date' && (c.hour || c.minute || c.second || c.fraction);
        return write(c, lossy ? undefined : tokens, true);
      };
    case 'time':
      return (v) => {
        const [s, rest] = divmod(BigInt(v as number | bigint), PER_SECOND[pc.unit]);
        const c = { ...clockOf(s, fractionOf(rest, pc.unit)), year: 0, month: 0, day: 0 };
        return tokens ? write(c, tokens, true) : `${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}${c.fraction ? '.' + c.fraction : ''}`;
      };
  }
}
