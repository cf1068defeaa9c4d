// Date and time format strings of the dataset spec. Deliberately small (a token language,
// not strftime): each engine implements the same few tokens, and the Spark job's port
// (loader/src/engine/spark/job/pwformat.py) must match this one byte for byte.
//
//   YYYY        4-digit year
//   MM DD       2-digit month, day          M D    1 or 2 digits
//   HH          2-digit hour, 00-23         H      1 or 2 digits
//   hh          2-digit hour, 00-12         h      1 or 2 digits   (12-hour clock: needs A)
//   mm ss       2-digit minute, second
//   A           AM/PM marker: A, P, AM or PM, any case (12 A and 00 A are midnight)
//   anything else stands for itself (e.g. / - : T and space)

export type FormatToken =
  | { kind: 'year' }
  | { kind: 'month' | 'day' | 'hour24' | 'hour12'; digits: 1 | 2 }
  | { kind: 'minute' | 'second' }
  | { kind: 'ampm' }
  | { kind: 'literal'; text: string };

export type FormatKind = 'date' | 'time' | 'datetime';

const TOKENS: [string, FormatToken][] = [
  ['YYYY', { kind: 'year' }],
  ['MM', { kind: 'month', digits: 2 }],
  ['M', { kind: 'month', digits: 1 }],
  ['DD', { kind: 'day', digits: 2 }],
  ['D', { kind: 'day', digits: 1 }],
  ['HH', { kind: 'hour24', digits: 2 }],
  ['H', { kind: 'hour24', digits: 1 }],
  ['hh', { kind: 'hour12', digits: 2 }],
  ['h', { kind: 'hour12', digits: 1 }],
  ['mm', { kind: 'minute' }],
  ['ss', { kind: 'second' }],
  ['A', { kind: 'ampm' }],
];
const TOKEN_LETTERS = new Set('YMDHhmsA');

/** The tokens of a format string; throws an Error naming the problem. */
export function parseFormat(format: string): FormatToken[] {
  if (format.length === 0) throw new Error('a format may not be empty');
  const out: FormatToken[] = [];
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (!TOKEN_LETTERS.has(c)) {
      const last = out[out.length - 1];
      if (last?.kind === 'literal') last.text += c;
      else out.push({ kind: 'literal', text: c });
      i++;
      continue;
    }
    let run = 1;
    while (format[i + run] === c) run++;
    const token = TOKENS.find(([t]) => t === c.repeat(run));
    if (!token) throw new Error(`"${c.repeat(run)}" is not a format token (tokens: ${TOKENS.map(([t]) => t).join(' ')})`);
    out.push({ ...token[1] });
    i += run;
  }
  return out;
}

/** Why `format` cannot be a format of a `kind` column, or null when it can. */
export function formatProblem(kind: FormatKind, format: string): string | null {
  let tokens: FormatToken[];
  try {
    tokens = parseFormat(format);
  } catch (e) {
    return (e as Error).message;
  }
  const count = (k: FormatToken['kind']) => tokens.filter((t) => t.kind === k).length;
  for (const k of ['year', 'month', 'day', 'hour24', 'hour12', 'minute', 'second', 'ampm'] as const) if (count(k) > 1) return `it has more than one ${k} token`;
  for (let i = 1; i < tokens.length; i++) {
    const a = tokens[i - 1], b = tokens[i];
    // Two variable-width numbers side by side cannot be told apart (is "1112" 1/112 or 11/12?).
    const variable = (t: FormatToken) => 'digits' in t && t.digits === 1;
    if (a.kind !== 'literal' && b.kind !== 'literal' && b.kind !== 'ampm' && (variable(a) || variable(b))) return 'a one-or-two-digit token must be separated from the next number by a literal';
  }
  const hasDate = count('year') + count('month') + count('day');
  const hasTime = count('hour24') + count('hour12') + count('minute') + count('second');
  if (kind !== 'time' && hasDate !== 3) return 'a date needs YYYY, a month (MM or M) and a day (DD or D)';
  if (kind === 'date' && hasTime > 0) return 'a date format may not hold a time (use type datetime)';
  if (kind !== 'date') {
    if (count('hour24') + count('hour12') !== 1 || count('minute') !== 1) return 'a time needs one hour (HH, H, hh or h) and minutes (mm)';
    if (kind === 'time' && hasDate > 0) return 'a time format may not hold a date (use type datetime)';
  }
  if (count('hour12') !== count('ampm')) return count('ampm') ? 'the marker A needs a 12-hour clock (hh or h)' : 'a 12-hour clock (hh or h) needs the marker A';
  return null;
}
