// Value makers for the generator, one per spec column, built from the resolved spec alone:
// valid values within the column's bounds, formats, window and lengths; invalid ones of
// the column's own kind (a non-number, a number past a bound, an impossible or
// out-of-window date, a time of 25:61, an over-long string, a value no pattern or list
// admits); and, for key columns, an injective map from an index to a valid value.
// Nothing here restates a rule: every bound, window and format comes from the spec.
import { UserError, compileColumn, parseFormat, type FormatToken, type ResolvedColumn } from '@pipewarden/core';

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

const compiled = (formats: string[]) => formats.map((f) => ({ tokens: parseFormat(f), long: / A/.test(f), seconds: /ss/.test(f) }));

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

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
// Mostly plain text; now and then what exercises the CSV quoting and the non-ASCII path.
const TEXT = ALNUM + ALNUM.toLowerCase() + '      -./';
const SPICE = [',', '"', 'é', 'ß', '—'];

function randomCase(rnd: Rnd, v: string): string {
  const r = rnd();
  return r < 0.6 ? v : r < 0.8 ? v.toUpperCase() : v.toLowerCase();
}

/** A small sampler for the regular expressions of pattern columns (literals, classes, groups, alternation, quantifiers). */
interface PatternSampler {
  sample(rnd: Rnd): string;
  /** One fixed path through the pattern (first alternatives, minimum repeats): a character set per position. */
  positions: string[];
}

function patternSampler(pattern: string): PatternSampler {
  type Node = { kind: 'set'; chars: string } | { kind: 'alt'; options: Node[][] } | { kind: 'rep'; node: Node; min: number; max: number };
  let i = 0;
  const fail = (): never => {
    throw new Error('unsupported');
  };
  const escapeClass = (c: string): string => (c === 'd' ? '0123456789' : c === 'w' ? ALNUM + ALNUM.toLowerCase() + '_' : c === 's' ? ' ' : /[a-zA-Z]/.test(c) ? fail() : c);
  const parseClass = (): string => {
    i++; // [
    if (pattern[i] === '^') fail();
    let chars = '';
    while (i < pattern.length && pattern[i] !== ']') {
      let c = pattern[i++];
      if (c === '\\') c = escapeClass(pattern[i++]);
      if (pattern[i] === '-' && pattern[i + 1] !== ']' && c.length === 1) {
        let e = pattern[i + 1];
        i += 2;
        if (e === '\\') e = pattern[i++];
        for (let x = c.charCodeAt(0); x <= e.charCodeAt(0); x++) chars += String.fromCharCode(x);
      } else chars += c;
    }
    i++; // ]
    return chars || fail();
  };
  const parseSeq = (): Node[][] => {
    const options: Node[][] = [[]];
    while (i < pattern.length && pattern[i] !== ')') {
      const c = pattern[i];
      let node: Node;
      if (c === '|') {
        options.push([]);
        i++;
        continue;
      } else if (c === '(') {
        i++;
        if (pattern[i] === '?') {
          if (pattern[i + 1] !== ':') fail();
          i += 2;
        }
        node = { kind: 'alt', options: parseSeq() };
        i++; // )
      } else if (c === '[') node = { kind: 'set', chars: parseClass() };
      else if (c === '\\') {
        node = { kind: 'set', chars: escapeClass(pattern[i + 1]) };
        i += 2;
      } else if (c === '.') {
        node = { kind: 'set', chars: ALNUM };
        i++;
      } else if ('^$*+?{'.includes(c)) return fail();
      else {
        node = { kind: 'set', chars: c };
        i++;
      }
      const q = pattern[i];
      if (q === '*' || q === '+' || q === '?') {
        node = { kind: 'rep', node, min: q === '+' ? 1 : 0, max: q === '?' ? 1 : q === '*' ? 4 : 5 };
        i++;
      } else if (q === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i)) ?? fail();
        const min = +m[1];
        node = { kind: 'rep', node, min, max: m[2] === undefined ? min : m[3] ? +m[3] : min + 4 };
        i += m[0].length;
      }
      if (pattern[i] === '?') i++; // lazy: the same strings
      options[options.length - 1].push(node);
    }
    return options;
  };
  const top = parseSeq();
  if (i < pattern.length) fail();
  const emit = (nodes: Node[], rnd: Rnd): string =>
    nodes
      .map((nd) => {
        if (nd.kind === 'set') return nd.chars[Math.floor(rnd() * nd.chars.length)];
        if (nd.kind === 'alt') return emit(nd.options[Math.floor(rnd() * nd.options.length)], rnd);
        const k = nd.min + Math.floor(rnd() * (nd.max - nd.min + 1));
        let s = '';
        for (let j = 0; j < k; j++) s += emit([nd.node], rnd);
        return s;
      })
      .join('');
  const positions: string[] = [];
  const walk = (nodes: Node[]) => {
    for (const nd of nodes) {
      if (nd.kind === 'set') positions.push(nd.chars);
      else if (nd.kind === 'alt') walk(nd.options[0]);
      else for (let j = 0; j < nd.min; j++) walk([nd.node]);
    }
  };
  walk(top[0]);
  return { sample: (rnd) => emit(top[Math.floor(rnd() * top.length)], rnd), positions };
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
    case 'integer': {
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
    case 'decimal': {
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
    case 'boolean': {
      const spellings = [...c.trueValues, ...c.falseValues];
      const bad = ['maybe', 'unknown', '2', '-'].find((v) => !spellings.includes(v)) ?? 'not-a-boolean';
      const keys = [c.trueValues[0], c.falseValues[0]];
      return { column: c, valid: (rnd) => randomCase(rnd, spellings[Math.floor(rnd() * spellings.length)]), invalid: () => bad, capacity: 2n, keyValue: (j) => keys[Number(j)] };
    }
    case 'date': {
      const fmts = compiled(c.formats);
      const min = dayOf(c.min), max = dayOf(c.max);
      const [a, b] = plausible(min, max, dayOf(PLAUSIBLE.from), dayOf(PLAUSIBLE.to));
      const show = (f: (typeof fmts)[number], p: Parts) => render(f.tokens, p, f.long);
      const pick = (rnd: Rnd) => fmts[Math.floor(rnd() * fmts.length)];
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
        keyValue: (j) => show(fmts[0], partsOfDay(min + Number(j))),
      };
    }
    case 'datetime': {
      const fmts = compiled(c.formats);
      const min = secondsOf(c.min), max = secondsOf(c.max);
      const [a, b] = plausible(min, max, dayOf(PLAUSIBLE.from) * 86400, dayOf(PLAUSIBLE.to) * 86400);
      const show = (f: (typeof fmts)[number], p: Parts) => render(f.tokens, p, f.long);
      const pick = (rnd: Rnd) => fmts[Math.floor(rnd() * fmts.length)];
      // A format without seconds writes :00, so keys step by minutes (from a whole minute).
      const step = fmts[0].seconds ? 1 : 60;
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
        keyValue: (j) => show(fmts[0], partsOfSecond(first + Number(j) * step)),
      };
    }
    case 'time': {
      const fmts = compiled(c.formats);
      const pick = (rnd: Rnd) => fmts[Math.floor(rnd() * fmts.length)];
      const step = fmts[0].seconds ? 1 : 60;
      const at = (sec: number): Parts => ({ y: 2000, mo: 1, d: 1, h: Math.floor(sec / 3600), mi: Math.floor((sec % 3600) / 60), s: sec % 60 });
      return {
        column: c,
        valid: (rnd) => {
          const f = pick(rnd);
          return render(f.tokens, at(Math.floor(rnd() * 86400)), f.long);
        },
        // Hour 37, minute 61 (written as is on either clock): no format of any column reads it.
        invalid: (rnd) => {
          const f = pick(rnd);
          return render(f.tokens, { y: 2000, mo: 1, d: 1, h: 37, mi: 61, s: 0 }, f.long);
        },
        capacity: BigInt(86400 / step),
        keyValue: (j) => render(fmts[0].tokens, at(Number(j) * step), fmts[0].long),
      };
    }
    case 'enum': {
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
    case 'pattern': {
      // The rule itself (pattern, case, lengths): what a load will accept.
      const check = compileColumn(c).check;
      const cased = (v: string) => (c.case === 'upper' ? v.toUpperCase() : c.case === 'lower' ? v.toLowerCase() : v);
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
      // Keys: the fixed path's positions as digits of a mixed radix, each set's characters
      // told apart after the case change (under upper, a and A are one key).
      const digits = sampler.positions.map((set) => [...new Map([...set].map((ch) => [cased(ch), ch])).values()].join(''));
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
      return { column: c, valid, invalid: () => bad, capacity, keyValue };
    }
    case 'string': {
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
  }
}
