// A pattern column's regular expression, and — when the pattern is a fixed-length run of
// character classes (`[A-Za-z]{2}`, `\d{5}`, `[A-Z][0-9]{3}`) — the same test as one
// 128-entry table per position, so the fast path checks ASCII bytes without building a
// string. Any other pattern (alternation, variable repetition, groups) gives null: the fast
// path then runs the RegExp on the field's text, which is the rule itself.

/** The whole-value RegExp of a pattern column (JavaScript `u` flag, anchored, no state). */
export function patternRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

function setOf(test: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) if (test(c)) t[c] = 1;
  return t;
}
const DIGIT = (c: number) => c >= 48 && c <= 57;
const WORD = (c: number) => DIGIT(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const SPECIAL = new Set('^$\\.*+?()[]{}|/'.split(''));

/**
 * One ASCII table per character of the fixed-length values `pattern` matches, or null
 * when the pattern is not such a run. Exact for ASCII input only (the fast path's input).
 */
export function fixedPatternTables(pattern: string): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let i = 0;
  // An escape outside or inside a class: a set, a literal punctuation char, or unsupported.
  const escape = (c: string): Uint8Array | number | null => {
    if (c === 'd') return setOf(DIGIT);
    if (c === 'w') return setOf(WORD);
    if (/[A-Za-z0-9]/.test(c)) return null; // \s \b \D \u…, back-references: leave to the RegExp
    return c.charCodeAt(0);
  };
  while (i < pattern.length) {
    const c = pattern[i];
    let table: Uint8Array;
    if (c === '[') {
      i++;
      const negate = pattern[i] === '^';
      if (negate) i++;
      const set = new Uint8Array(128);
      while (i < pattern.length && pattern[i] !== ']') {
        let lo: number;
        if (pattern[i] === '\\') {
          const e = escape(pattern[i + 1] ?? '');
          if (e === null) return null;
          i += 2;
          if (typeof e !== 'number') {
            e.forEach((v, k) => v && (set[k] = 1));
            continue;
          }
          lo = e;
        } else {
          if (pattern[i] === '[') return null;
          lo = pattern.codePointAt(i)!;
          i += lo > 0xffff ? 2 : 1;
        }
        let hi = lo;
        if (pattern[i] === '-' && pattern[i + 1] !== undefined && pattern[i + 1] !== ']') {
          if (pattern[i + 1] === '\\') {
            const e = escape(pattern[i + 2] ?? '');
            if (typeof e !== 'number') return null;
            hi = e;
            i += 3;
          } else {
            hi = pattern.codePointAt(i + 1)!;
            i += hi > 0xffff ? 3 : 2;
          }
        }
        for (let k = lo; k <= hi && k < 128; k++) set[k] = 1;
      }
      if (pattern[i] !== ']') return null;
      i++;
      table = negate ? set.map((v) => 1 - v) : set;
    } else if (c === '\\') {
      const e = escape(pattern[i + 1] ?? '');
      if (e === null) return null;
      i += 2;
      table = typeof e === 'number' ? setOf((k) => k === e) : e;
    } else if (c === '.') {
      i++;
      table = setOf((k) => k !== 10 && k !== 13);
    } else if (SPECIAL.has(c) || c.charCodeAt(0) >= 128) {
      return null;
    } else {
      i++;
      const code = c.charCodeAt(0);
      table = setOf((k) => k === code);
    }
    let times = 1;
    if (pattern[i] === '{') {
      const m = /^\{(\d{1,3})\}/.exec(pattern.slice(i));
      if (!m) return null;
      times = Number(m[1]);
      i += m[0].length;
    }
    if (pattern[i] === '?' || pattern[i] === '*' || pattern[i] === '+' || pattern[i] === '{') return null;
    for (let k = 0; k < times; k++) out.push(table);
  }
  return out;
}
