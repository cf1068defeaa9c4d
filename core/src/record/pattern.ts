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

/**
 * Why `pattern` may not match the same values in JavaScript (`u` flag, the inline engine)
 * and Python (`re.ASCII`, the Spark engine), with what to write instead — or null when it
 * uses only constructs both read alike. A construct one of them refuses outright is
 * caught here too, so the advice comes before either regex engine's own error text.
 * Values are trimmed before matching, so `$` (Python's also matches before a final
 * newline) and `^` behave alike and are allowed.
 */
export function patternPortabilityProblem(pattern: string): string | null {
  const at = (i: number, message: string) => `at character ${i + 1}: ${message}`;
  let inClass = false;
  let classStart = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const e = pattern[i + 1] ?? '';
      if (e === 's' || e === 'S')
        return at(i, `\\${e} is not portable (JavaScript's \\s takes Unicode spaces and line breaks, Python's only ASCII ones): write ${e === 's' ? '[ \\t]' : '[^ \\t]'} or the characters you mean`);
      if (e === 'p' || e === 'P' || e === 'k') return at(i, `\\${e} is not portable to the Spark engine (Python has no Unicode properties or named back-references): write explicit classes such as [A-Za-z]`);
      if (/[1-9]/.test(e)) return at(i, `back-references (\\${e}) are not portable (JavaScript matches a group that took no part as empty, Python fails): write the repeated part out`);
      if (e === '0' && /[0-9]/.test(pattern[i + 2] ?? '')) return at(i, 'octal escapes are not portable: write \\xHH');
      if (e === 'A' || e === 'Z' || e === 'z' || e === 'G') return at(i, `\\${e} is an anchor only Python knows: the whole value is matched already, drop it`);
      if (e === 'c') return at(i, '\\c control escapes are JavaScript-only: write \\xHH');
      if (e === 'N' || e === 'U') return at(i, `\\${e} escapes are Python-only: write \\uXXXX or the character itself`);
      if (e === 'u') {
        if (pattern[i + 2] === '{') return at(i, '\\u{…} is JavaScript-only: write \\uXXXX (four hex digits) or the character itself');
        if (/^[dD][89abAB]/.test(pattern.slice(i + 2, i + 4))) return at(i, 'surrogate escapes (\\uD800-\\uDFFF) are one character to JavaScript and two to Python: write the character itself');
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']' && i > classStart) inClass = false;
      else if (c === '[') return at(i, 'a "[" inside a class is read as a nested set by newer Pythons: write \\[');
      else if (/^(&&|\|\||~~|--)/.test(pattern.slice(i, i + 2))) return at(i, `"${pattern.slice(i, i + 2)}" inside a class is a set operation to newer Pythons: escape one of the two characters`);
      continue;
    }
    if (c === '[') {
      inClass = true;
      classStart = pattern[i + 1] === '^' ? i + 2 : i + 1;
      if (pattern[classStart] === ']') return at(i, '[] and [^] mean different things in JavaScript and Python: write \\] for a literal bracket, or the class you mean');
      continue;
    }
    if (c === '.') return at(i, '"." is not portable (JavaScript\'s excludes \\r, \\n, \\u2028 and \\u2029, Python\'s only \\n): write [^\\n\\r] or the class you mean');
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith(':') || rest.startsWith('=') || rest.startsWith('!')) {
        i += 2;
        continue;
      }
      if (rest.startsWith('<=') || rest.startsWith('<!')) return at(i, 'lookbehind is not portable to the Spark engine (Python allows only fixed-width lookbehind): write the pattern without it');
      if (rest.startsWith('<') || rest.startsWith('P')) return at(i, 'named groups are not portable (JavaScript writes (?<name>…), Python (?P<name>…)): write (?:…) or (…)');
      if (rest.startsWith('>')) return at(i, 'atomic groups (?>…) are Python-only: write (?:…)');
      if (rest.startsWith('#')) return at(i, 'comments (?#…) are Python-only: drop it');
      return at(i, 'inline flags such as (?i) are not portable: write both cases in a class ([Aa]), or use the column\'s case option after a case-insensitive class');
    }
    let end = -1;
    if (c === '*' || c === '+' || c === '?') end = i + 1;
    else if (c === '{') {
      const m = /^\{(\d*)(,(\d*))?\}/.exec(pattern.slice(i));
      if (!m || (m[1] === '' && m[2] === undefined)) return at(i, 'a "{" that starts no {n}, {n,} or {n,m} is a literal to Python and an error to JavaScript: write \\{');
      if (m[1] === '') return at(i, `{${m[2]}} is a quantifier to Python and an error (or a literal) to JavaScript: write {0${m[2]}}`);
      end = i + m[0].length;
    }
    if (end >= 0) {
      // A lazy marker after a quantifier is portable; a '+' after one (possessive) is not.
      if (pattern[end] === '+') return at(end, 'possessive quantifiers (*+, ++, ?+, {n}+) are Python-only: drop the second +');
      i = (pattern[end] === '?' ? end + 1 : end) - 1;
    }
  }
  return null;
}
