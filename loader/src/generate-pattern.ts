// A small sampler for the regular expressions of pattern columns (literals, classes, groups,
// alternation, quantifiers): the generator's valid values of a pattern column and the fixed
// path its key values are spelled along. Anything else (anchors, negated classes, letter
// escapes other than \d \w \s) throws: generate-columns.ts tells the user which column.
import type { Rnd } from './generate-columns';

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export interface PatternSampler {
  sample(rnd: Rnd): string;
  /** One fixed path through the pattern (first alternatives, minimum repeats): a character set per position. */
  positions: string[];
}

/** A parsed pattern: a set of characters (one is drawn), alternatives (sequences), or a repeat. */
type PatternNode = { kind: 'set'; chars: string } | { kind: 'alt'; options: PatternNode[][] } | { kind: 'rep'; node: PatternNode; min: number; max: number };

const fail = (): never => {
  throw new Error('unsupported');
};

/** The characters of an escape (`\d`, `\w`, `\s`, or an escaped character itself). */
const escapeClass = (c: string): string => (c === 'd' ? '0123456789' : c === 'w' ? ALNUM + ALNUM.toLowerCase() + '_' : c === 's' ? ' ' : /[a-zA-Z]/.test(c) ? fail() : c);

/** A recursive-descent parser over the pattern's text, one position `i` for all its steps. */
class PatternParser {
  private i = 0;

  constructor(private readonly pattern: string) {}

  /** The whole pattern: its top-level alternatives. */
  parse(): PatternNode[][] {
    const top = this.alternatives();
    if (this.i < this.pattern.length) fail();
    return top;
  }

  /** Sequences separated by `|`, up to a closing parenthesis or the end. */
  private alternatives(): PatternNode[][] {
    const pattern = this.pattern;
    const options: PatternNode[][] = [[]];
    while (this.i < pattern.length && pattern[this.i] !== ')') {
      if (pattern[this.i] === '|') {
        options.push([]);
        this.i++;
        continue;
      }
      const node = this.quantified(this.atom());
      if (pattern[this.i] === '?') this.i++; // lazy: the same strings
      options[options.length - 1].push(node);
    }
    return options;
  }

  /** A group, a class, an escape, `.` or a literal character. */
  private atom(): PatternNode {
    const c = this.pattern[this.i];
    if (c === '(') return this.group();
    if (c === '[') return { kind: 'set', chars: this.charClass() };
    if (c === '\\') {
      const node: PatternNode = { kind: 'set', chars: escapeClass(this.pattern[this.i + 1]) };
      this.i += 2;
      return node;
    }
    if ('^$*+?{'.includes(c)) return fail();
    this.i++;
    return { kind: 'set', chars: c === '.' ? ALNUM : c };
  }

  /** `(…)` or `(?:…)`: its alternatives. */
  private group(): PatternNode {
    this.i++; // (
    if (this.pattern[this.i] === '?') {
      if (this.pattern[this.i + 1] !== ':') fail();
      this.i += 2;
    }
    const node: PatternNode = { kind: 'alt', options: this.alternatives() };
    this.i++; // )
    return node;
  }

  /** `[…]`: its characters, ranges expanded. */
  private charClass(): string {
    const pattern = this.pattern;
    this.i++; // [
    if (pattern[this.i] === '^') fail();
    let chars = '';
    while (this.i < pattern.length && pattern[this.i] !== ']') {
      let c = pattern[this.i++];
      if (c === '\\') c = escapeClass(pattern[this.i++]);
      if (pattern[this.i] === '-' && pattern[this.i + 1] !== ']' && c.length === 1) {
        let e = pattern[this.i + 1];
        this.i += 2;
        if (e === '\\') e = pattern[this.i++];
        for (let x = c.charCodeAt(0); x <= e.charCodeAt(0); x++) chars += String.fromCharCode(x);
      } else chars += c;
    }
    this.i++; // ]
    return chars || fail();
  }

  /** The node under the quantifier that follows it, if any (unbounded repeats drawn up to 4 or 5 times). */
  private quantified(node: PatternNode): PatternNode {
    const q = this.pattern[this.i];
    if (q === '*' || q === '+' || q === '?') {
      this.i++;
      return { kind: 'rep', node, min: q === '+' ? 1 : 0, max: q === '?' ? 1 : q === '*' ? 4 : 5 };
    }
    if (q !== '{') return node;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(this.i)) ?? fail();
    const min = +m[1];
    this.i += m[0].length;
    return { kind: 'rep', node, min, max: m[2] === undefined ? min : m[3] ? +m[3] : min + 4 };
  }
}

/** A random string of the sequence. */
function emit(nodes: PatternNode[], rnd: Rnd): string {
  return nodes
    .map((nd) => {
      if (nd.kind === 'set') return nd.chars[Math.floor(rnd() * nd.chars.length)];
      if (nd.kind === 'alt') return emit(nd.options[Math.floor(rnd() * nd.options.length)], rnd);
      const k = nd.min + Math.floor(rnd() * (nd.max - nd.min + 1));
      let s = '';
      for (let j = 0; j < k; j++) s += emit([nd.node], rnd);
      return s;
    })
    .join('');
}

/** Appends the sequence's fixed path (first alternatives, minimum repeats) to `positions`. */
function walk(nodes: PatternNode[], positions: string[]): void {
  for (const nd of nodes) {
    if (nd.kind === 'set') positions.push(nd.chars);
    else if (nd.kind === 'alt') walk(nd.options[0], positions);
    else for (let j = 0; j < nd.min; j++) walk([nd.node], positions);
  }
}

export function patternSampler(pattern: string): PatternSampler {
  const top = new PatternParser(pattern).parse();
  const positions: string[] = [];
  walk(top[0], positions);
  return { sample: (rnd) => emit(top[Math.floor(rnd() * top.length)], rnd), positions };
}
