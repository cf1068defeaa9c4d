// Value makers for the generator, one per spec column, built from the resolved spec alone:
// valid values within the column's bounds, formats, window and lengths; invalid ones of
// the column's own kind (a non-number, a number past a bound, an impossible or
// out-of-window date, a time of 37:61, an over-long string, a value no pattern or list
// admits); and, for key columns, an injective map from an index to a valid value.
// Nothing here restates a rule: every bound, window and format comes from the spec.
import { UserError, compileColumn, parseFormat, type BooleanColumn, type DateColumn, type DatetimeColumn, type DecimalColumn, type EnumColumn, type FormatToken, type IntegerColumn, type PatternColumn, type ResolvedColumn, type StringColumn, type TimeColumn } from '@pipewarden/core';
import { ALNUM, patternSampler, type PatternSampler } from './generate-pattern';

export type Rnd = () => number;

export interface ColumnMaker {
  readonly column: ResolvedColumn;
  /** A valid value, as a source file would spell it. */
  valid(rnd: Rnd): string;
  /** An invalid value (loaded NULL in an optional column, rejected in a key or required one), or null when the type admits everything non-empty. */
  invalid(rnd: Rnd): string | null;
  /** How many distinct key values keyValue can make (a key column); 0 when it cannot make keys. */
  readonly capacity: bigint;
  /** The index-th distinct valid value, 0 ≤ index < capacity. */
  keyValue(index: bigint): string;
}

/** Random values are drawn from a window of this many units around the low bound (all of the range when smaller). */
const SPREAD = 1_000_000n;
/** Dates and datetimes are drawn from these years when the window allows (a wide window is MySQL's whole range). */
const PLAUSIBLE = { from: '2000-01-01', to: '2030-12-31' };
const DAY_MS = 86_400_000;

function bigRandom(rnd: Rnd, lo: bigint, hi: bigint): bigint {
  const span = hi - lo + 1n;
  if (span <= 0n) return lo;
  if (span <= BigInt(Number.MAX_SAFE_INTEGER)) return lo + BigInt(Math.floor(rnd() * Number(span)));
  return lo + (BigInt(Math.floor(rnd() * 2 ** 52)) * span) / 2n ** 52n;
}

/** A sub-range of [lo, hi] at most SPREAD wide, starting at 0 when the range holds 0. */
function window(lo: bigint, hi: bigint, spread = SPREAD): [bigint, bigint] {
  let a = lo < 0n && hi >= 0n ? (lo < -spread / 2n ? -spread / 2n : lo) : lo;
  if (a > hi) a = lo;
  const b = hi - a > spread ? a + spread : hi;
  return [a, b];
}

/** A decimal string times 10^scale, rounded towards the inside of the range (`up` for a min). */
function scaled(v: string, scale: number, up: boolean): bigint {
  const neg = v.startsWith('-');
  const [int, frac = ''] = v.replace('-', '').split('.');
  const kept = frac.slice(0, scale).padEnd(scale, '0');
  let x = BigInt(int + kept);
  const dropped = /[1-9]/.test(frac.slice(scale));
  if (dropped && up !== neg) x += 1n;
  return neg ? -x : x;
}

function fromScaled(x: bigint, scale: number): string {
  const neg = x < 0n;
  const s = (neg ? -x : x).toString().padStart(scale + 1, '0');
  const int = s.slice(0, s.length - scale), frac = s.slice(s.length - scale);
  return `${neg ? '-' : ''}${int}${scale ? '.' + frac : ''}`;
}

export interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Render date/time parts in a spec format (tokens of core's formats.ts); `marker` spells AM/PM. */
export function render(tokens: FormatToken[], p: Parts, longMarker: boolean): string {
  let out = '';
  for (const t of tokens) {
    switch (t.kind) {
      case 'year':
        out += pad(p.y, 4);
        break;
      case 'month':
        out += t.digits === 2 ? pad(p.mo, 2) : String(p.mo);
        break;
      case 'day':
        out += t.digits === 2 ? pad(p.d, 2) : String(p.d);
        break;
      case 'hour24':
        out += t.digits === 2 ? pad(p.h, 2) : String(p.h);
        break;
      case 'hour12': {
        const h = p.h > 12 && p.h < 24 ? p.h - 12 : p.h === 0 ? 12 : p.h;
        out += t.digits === 2 ? pad(h, 2) : String(h);
        break;
      }
      case 'minute':
        out += pad(p.mi, 2);
        break;
      case 'second':
        out += pad(p.s, 2);
        break;
      case 'ampm':
        out += (p.h >= 12 && p.h < 24 ? 'P' : 'A') + (longMarker ? 'M' : '');
        break;
      case 'literal':
        out += t.text;
        break;
    }
  }
  return out;
}

/** A spec format, parsed: its tokens, whether its marker is written AM/PM (else A/P), whether it has seconds. */
interface Format {
  tokens: FormatToken[];
  long: boolean;
  seconds: boolean;
}

const compiled = (formats: string[]): Format[] => formats.map((f) => ({ tokens: parseFormat(f), long: / A/.test(f), seconds: /ss/.test(f) }));

function dayOf(ymd: string): number {
  return Date.UTC(+ymd.slice(0, 4), +ymd.slice(5, 7) - 1, +ymd.slice(8, 10)) / DAY_MS;
}
function partsOfDay(day: number): Parts {
  const d = new Date(day * DAY_MS);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: 0, mi: 0, s: 0 };
}
function secondsOf(dt: string): number {
  return dayOf(dt) * 86400 + +dt.slice(11, 13) * 3600 + +dt.slice(14, 16) * 60 + +dt.slice(17, 19);
}
function partsOfSecond(sec: number): Parts {
  const p = partsOfDay(Math.floor(sec / 86400));
  const r = sec - Math.floor(sec / 86400) * 86400;
  return { ...p, h: Math.floor(r / 3600), mi: Math.floor((r % 3600) / 60), s: r % 60 };
}
/** [a, b] ∩ [from, to] when they meet, else [a, b]. */
function plausible(a: number, b: number, from: number, to: number): [number, number] {
  const lo = Math.max(a, from), hi = Math.min(b, to);
  return lo <= hi ? [lo, hi] : [a, b];
}

// Mostly plain text; now and then what exercises the CSV quoting and the non-ASCII path.
const TEXT = ALNUM + ALNUM.toLowerCase() + '      -./';
const SPICE = [',', '"', 'é', 'ß', '—'];

function randomCase(rnd: Rnd, v: string): string {
  const r = rnd();
  return r < 0.6 ? v : r < 0.8 ? v.toUpperCase() : v.toLowerCase();
}

/**
 * The column's maker, kept clear of its NULL spellings: a valid or invalid value that
 * spells NULL (a pattern's "NA", a decimal's "n/a") would load as NULL, which is neither
 * what a valid value nor what an oddity promises. Draws again; an invalid value that
 * cannot avoid them is given up (null), a key value that is one is refused.
 */
export function columnMaker(c: ResolvedColumn): ColumnMaker {
  const maker = typeMaker(c);
  const nulls = compileColumn(c).nulls; // the rule's own NULL spellings
  if (nulls === null) return maker;
  const clear = (draw: () => string | null): string | null => {
    for (let k = 0; k < 20; k++) {
      const v = draw();
      if (v === null || !nulls.has(v.trim())) return v;
    }
    return null;
  };
  return {
    column: c,
    valid: (rnd) => {
      const v = clear(() => maker.valid(rnd));
      if (v === null) throw new UserError(`generate cannot make values for column "${c.name}" that are not among its nullValues`);
      return v;
    },
    invalid: (rnd) => clear(() => maker.invalid(rnd)),
    capacity: maker.capacity,
    keyValue: (j) => {
      const v = maker.keyValue(j);
      if (nulls.has(v)) throw new UserError(`generate cannot make key values for column "${c.name}": "${v}" is one of its nullValues (a load would read it as a missing key)`);
      return v;
    },
  };
}

function typeMaker(c: ResolvedColumn): ColumnMaker {
  switch (c.type) {
    case 'integer':
      return integerMaker(c);
    case 'decimal':
      return decimalMaker(c);
    case 'boolean':
      return booleanMaker(c);
    case 'date':
      return dateMaker(c);
    case 'datetime':
      return datetimeMaker(c);
    case 'time':
      return timeMaker(c);
    case 'enum':
      return enumMaker(c);
    case 'pattern':
      return patternMaker(c);
    case 'string':
      return stringMaker(c);
  }
}

function integerMaker(c: IntegerColumn): ColumnMaker {
  const lo = BigInt(c.min), hi = BigInt(c.max);
  const [a, b] = window(lo, hi);
  return {
    column: c,
    valid: (rnd) => bigRandom(rnd, a, b).toString(),
    invalid: (rnd) => {
      const r = rnd();
      return r < 0.4 ? `X${bigRandom(rnd, a, b)}` : r < 0.7 ? (lo - 1n).toString() : r < 0.9 ? (hi + 1n).toString() : `${bigRandom(rnd, a, b)}.5`;
    },
    capacity: hi - lo + 1n,
    keyValue: (j) => (lo + j).toString(),
  };
}

function decimalMaker(c: DecimalColumn): ColumnMaker {
  const limit = 10n ** BigInt(c.precision) - 1n;
  let lo = c.min !== undefined ? scaled(c.min, c.scale, true) : -limit;
  let hi = c.max !== undefined ? scaled(c.max, c.scale, false) : limit;
  if (lo < -limit) lo = -limit;
  if (hi > limit) hi = limit;
  const [a, b] = window(lo, hi, 10n ** BigInt(Math.min(c.precision, c.scale + 4)));
  const intDigits = c.precision - c.scale;
  return {
    column: c,
    valid: (rnd) => fromScaled(bigRandom(rnd, a, b), c.scale),
    invalid: (rnd) => {
      const r = rnd();
      if (r < 0.3) return 'n/a';
      if (r < 0.6) return `1.${'5'.repeat(c.scale + 1)}`;
      if (r < 0.8 || c.max === undefined) return `${'9'.repeat(intDigits + 1)}`;
      return fromScaled(hi + 1n, c.scale);
    },
    capacity: hi - lo + 1n,
    keyValue: (j) => fromScaled(lo + j, c.scale),
  };
}

function booleanMaker(c: BooleanColumn): ColumnMaker {
  const spellings = [...c.trueValues, ...c.falseValues];
  const bad = ['maybe', 'unknown', '2', '-'].find((v) => !spellings.includes(v)) ?? 'not-a-boolean';
  const keys = [c.trueValues[0], c.falseValues[0]];
  return { column: c, valid: (rnd) => randomCase(rnd, spellings[Math.floor(rnd() * spellings.length)]), invalid: () => bad, capacity: 2n, keyValue: (j) => keys[Number(j)] };
}

/** A column's formats: values are written in one drawn at random, keys in the first. */
function formatsOf(formats: string[]): { first: Format; pick: (rnd: Rnd) => Format } {
  const fmts = compiled(formats);
  return { first: fmts[0], pick: (rnd) => fmts[Math.floor(rnd() * fmts.length)] };
}

const show = (f: Format, p: Parts) => render(f.tokens, p, f.long);

function dateMaker(c: DateColumn): ColumnMaker {
  const { first, pick } = formatsOf(c.formats);
  const min = dayOf(c.min), max = dayOf(c.max);
  const [a, b] = plausible(min, max, dayOf(PLAUSIBLE.from), dayOf(PLAUSIBLE.to));
  return {
    column: c,
    valid: (rnd) => show(pick(rnd), partsOfDay(a + Math.floor(rnd() * (b - a + 1)))),
    invalid: (rnd) => {
      const r = rnd();
      const y = partsOfDay(a).y;
      if (r < 0.5) return show(pick(rnd), { y, mo: 2, d: 30, h: 0, mi: 0, s: 0 }); // no 30 February
      if (r < 0.75 && min > dayOf('1000-01-01')) return show(pick(rnd), partsOfDay(min - 1 - Math.floor(rnd() * 3650)));
      if (max < dayOf('9999-01-01')) return show(pick(rnd), partsOfDay(max + 1 + Math.floor(rnd() * 3650)));
      return show(pick(rnd), { y, mo: 13, d: 1, h: 0, mi: 0, s: 0 });
    },
    capacity: BigInt(max - min + 1),
    keyValue: (j) => show(first, partsOfDay(min + Number(j))),
  };
}

function datetimeMaker(c: DatetimeColumn): ColumnMaker {
  const { first: keyFormat, pick } = formatsOf(c.formats);
  const min = secondsOf(c.min), max = secondsOf(c.max);
  const [a, b] = plausible(min, max, dayOf(PLAUSIBLE.from) * 86400, dayOf(PLAUSIBLE.to) * 86400);
  // A format without seconds writes :00, so keys step by minutes (from a whole minute).
  const step = keyFormat.seconds ? 1 : 60;
  const first = Math.ceil(min / step) * step;
  return {
    column: c,
    valid: (rnd) => {
      const f = pick(rnd);
      let s = a + Math.floor(rnd() * (b - a + 1));
      if (!f.seconds) s = Math.min(Math.ceil(s / 60) * 60, Math.floor(max / 60) * 60);
      return show(f, partsOfSecond(s));
    },
    invalid: (rnd) => {
      const p = partsOfSecond(a);
      return rnd() < 0.7 || max >= secondsOf('9999-01-01 00:00:00') ? show(pick(rnd), { ...p, mo: 2, d: 30 }) : show(pick(rnd), partsOfSecond(max + 86400 * (1 + Math.floor(rnd() * 3650))));
    },
    capacity: BigInt(Math.floor((max - first) / step) + 1),
    keyValue: (j) => show(keyFormat, partsOfSecond(first + Number(j) * step)),
  };
}

function timeMaker(c: TimeColumn): ColumnMaker {
  const { first, pick } = formatsOf(c.formats);
  const step = first.seconds ? 1 : 60;
  const at = (sec: number): Parts => ({ y: 2000, mo: 1, d: 1, h: Math.floor(sec / 3600), mi: Math.floor((sec % 3600) / 60), s: sec % 60 });
  return {
    column: c,
    valid: (rnd) => show(pick(rnd), at(Math.floor(rnd() * 86400))),
    // Hour 37, minute 61 (written as is on either clock): no format of any column reads it.
    invalid: (rnd) => show(pick(rnd), { y: 2000, mo: 1, d: 1, h: 37, mi: 61, s: 0 }),
    capacity: BigInt(86400 / step),
    keyValue: (j) => show(first, at(Number(j) * step)),
  };
}

function enumMaker(c: EnumColumn): ColumnMaker {
  const known = new Set(c.values.map((v) => (c.caseSensitive ? v : v.toLowerCase())));
  const bad = ['zz-unlisted', 'n/a', '?'].find((v) => !known.has(v)) ?? 'zz-unlisted-value';
  return {
    column: c,
    valid: (rnd) => {
      const v = c.values[Math.floor(rnd() * c.values.length)];
      return c.caseSensitive ? v : randomCase(rnd, v);
    },
    invalid: () => bad,
    capacity: BigInt(c.values.length),
    keyValue: (j) => c.values[Number(j)],
  };
}

function patternMaker(c: PatternColumn): ColumnMaker {
  // The rule itself (pattern, case, lengths): what a load will accept.
  const check = compileColumn(c).check;
  const fits = (v: string) => check(v) !== undefined;
  let sampler: PatternSampler;
  try {
    sampler = patternSampler(c.pattern);
  } catch {
    throw new UserError(`generate cannot make values for pattern column "${c.name}" (/${c.pattern}/): it samples literals, classes, groups, alternation and quantifiers only`);
  }
  const valid = (rnd: Rnd) => {
    for (let k = 0; k < 50; k++) {
      const v = sampler.sample(rnd);
      if (v.trim() === v && v !== '' && fits(v)) return v;
    }
    throw new UserError(`generate cannot make values for pattern column "${c.name}": 50 samples of /${c.pattern}/ missed its lengths ${c.minLength}-${c.maxLength}`);
  };
  const bad = ['~', '#!?', '~'.repeat(c.maxLength + 1), 'X'.repeat(c.maxLength + 1)].find((v) => !fits(v)) ?? null;
  return { column: c, valid, invalid: () => bad, ...patternKeys(c, sampler.positions, fits) };
}

/**
 * A pattern column's keys: the fixed path's positions as digits of a mixed radix, each set's
 * characters told apart after the case change (under upper, a and A are one key).
 */
function patternKeys(c: PatternColumn, positions: string[], fits: (v: string) => boolean): Pick<ColumnMaker, 'capacity' | 'keyValue'> {
  const cased = (v: string) => (c.case === 'upper' ? v.toUpperCase() : c.case === 'lower' ? v.toLowerCase() : v);
  const digits = positions.map((set) => [...new Map([...set].map((ch) => [cased(ch), ch])).values()].join(''));
  const capacity = digits.length ? digits.reduce((a, set) => a * BigInt(set.length), 1n) : 0n;
  const keyValue = (j: bigint): string => {
    let x = j, v = '';
    for (let k = digits.length - 1; k >= 0; k--) {
      const base = BigInt(digits[k].length);
      v = digits[k][Number(x % base)] + v;
      x /= base;
    }
    if (!fits(v)) throw new UserError(`generate cannot make key values for pattern column "${c.name}" (/${c.pattern}/): "${v}" does not fit its lengths`);
    return v;
  };
  return { capacity, keyValue };
}

function stringMaker(c: StringColumn): ColumnMaker {
  const hi = Math.max(Math.min(c.maxLength, Math.max(c.minLength, 24)), 1);
  const lo = Math.max(c.minLength, 1);
  const bad = c.maxLength < 100_000 ? 'W'.repeat(c.maxLength + 1) : c.minLength > 1 ? 'W' : null;
  // base36 numbers of up to maxLength digits, left-padded to minLength.
  const digits = Math.min(c.maxLength, 40);
  return {
    column: c,
    valid: (rnd) => {
      const len = lo + Math.floor(rnd() * (hi - lo + 1));
      let s = '';
      for (let k = 0; k < len; k++) s += rnd() < 0.01 ? SPICE[Math.floor(rnd() * SPICE.length)] : TEXT[Math.floor(rnd() * TEXT.length)];
      // Trimmed lengths count: no space at either end.
      return s.replace(/^ /, 'A').replace(/ $/, 'Z');
    },
    invalid: () => bad,
    capacity: c.maxLength >= 1 ? 36n ** BigInt(digits) : 0n,
    keyValue: (j) => j.toString(36).toUpperCase().padStart(Math.max(c.minLength, 1), '0'),
  };
}
