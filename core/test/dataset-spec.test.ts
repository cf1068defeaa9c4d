import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../src/errors';
import { DEFAULT_DATASET, formatProblem, parseFormat, parseSpec, readSpec } from '../src/dataset';

// The compiled rules' spec before issue 15, frozen beside the benchmark that measures against it.
const legacy = JSON.parse(readFileSync(join(__dirname, '..', '..', 'bench', 'baselines', 'compiled-nyc', 'violation-spec.json'), 'utf8'));

function problems(text: string): string {
  try {
    parseSpec(text, 'my.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('the spec was accepted');
}

const minimal = (extra = '', columns = '  - name: id\n    type: integer\n') => `name: demo\ntable: things\nkey: id\n${extra}columns:\n${columns}`;

describe('the built-in NYC parking violations spec', () => {
  const spec = readSpec(DEFAULT_DATASET);
  test('has the 43 official columns, in the order and with the headers of the compiled rules', () => {
    expect(spec.columns.map((c) => [c.name, c.header])).toEqual(legacy.columns.map((c: { column: string; header: string }) => [c.column, c.header]));
    expect(spec.key).toEqual(['summons_number']);
    expect(spec.table).toBe('violations');
    expect(spec.knownExtras).toEqual(legacy.ignoredHeaders);
  });
  test('keeps every bound of the compiled rules', () => {
    for (const old of legacy.columns as { column: string; type: string; min?: number; max?: number }[]) {
      const c = spec.columns.find((x) => x.name === old.column)!;
      if (old.type === 'int') expect(c).toMatchObject({ type: 'integer', min: String(old.min), max: String(old.max) });
      if (old.type === 'string') expect(c).toMatchObject({ type: 'string', maxLength: old.max });
      if (old.type === 'date') expect(c).toMatchObject({ type: 'date', min: '1900-01-01', max: '2099-12-31' });
      if (old.type === 'year') expect(c).toMatchObject({ type: 'integer', min: '1900', max: '2099' });
    }
    expect(spec.columns[0]).toMatchObject({ type: 'integer', min: '1', max: '9223372036854775807', required: true, key: true });
    expect(spec.columns.filter((c) => c.required).map((c) => c.name)).toEqual(['summons_number']);
  });
});

describe('spec errors name the file, the line, the path and what was expected', () => {
  test('an unknown option', () => {
    expect(problems(minimal('', '  - name: id\n    type: integer\n    maxLen: 3\n'))).toContain('my.yaml:7:13: columns[0].maxLen: unknown option "maxLen"');
  });
  test('a key naming no column, and an option of another type', () => {
    const m = problems('name: demo\ntable: things\nkey: [id, nope]\ncolumns:\n  - name: id\n    type: integer\n    maxLength: 4\n');
    expect(m).toContain('my.yaml:3:11: key[1]: the key names column "nope", which the spec does not have');
    expect(m).toContain('columns[0].maxLength: "maxLength" does not apply to type integer');
  });
  test('a bad SQL name, a bad type, a bad format and a bad pattern', () => {
    const m = problems(minimal('', '  - name: id\n    type: integer\n  - name: Bad Name\n  - name: b\n    type: float\n'));
    expect(m).toMatch(/my\.yaml:7:\d+: columns\[1\]\.name: expected a SQL name/);
    expect(m).toMatch(/columns\[2\]\.type: expected one of "string", "integer"/);
    expect(problems(minimal('', '  - name: id\n    type: integer\n  - name: d\n    type: date\n    formats: [DD/MM/YY]\n'))).toContain('columns[1].formats[0]: format "DD/MM/YY": "YY" is not a format token');
    expect(problems(minimal('', '  - name: id\n    type: integer\n  - name: p\n    type: pattern\n    pattern: "[A-Z"\n'))).toMatch(/columns\[1\]\.pattern: not a regular expression/);
  });
  test('bounds out of order, last without a key, a pipewarden table', () => {
    expect(problems(minimal('', '  - name: id\n    type: integer\n    min: 10\n    max: 1\n'))).toContain('columns[0].min: min 10 is above max 1');
    expect(problems('name: demo\ntable: things\nduplicates: last\ncolumns:\n  - name: a\n')).toContain('duplicates: "last" needs a key');
    expect(problems('name: demo\ntable: batch_ledger\ncolumns:\n  - name: a\n')).toContain("table: \"batch_ledger\" is one of pipewarden's own tables");
  });
  test('YAML that does not parse says where', () => {
    expect(problems('name: demo\ntable: [things\n')).toMatch(/^dataset spec my\.yaml:\d+:\d+: not valid YAML or JSON/);
  });
  test('JSON works as well, and a keyless spec keeps duplicates', () => {
    const spec = parseSpec(JSON.stringify({ name: 'events', table: 'events', columns: [{ name: 'at', type: 'datetime' }, { name: 'amount', type: 'decimal', precision: 12, scale: 2, min: -1000 }] }), 'events.json');
    expect(spec.key).toEqual([]);
    expect(spec.duplicates).toBe('keep');
    expect(spec.columns[0]).toMatchObject({ type: 'datetime', min: '1000-01-01 00:00:00', max: '9999-12-31 23:59:59' });
    expect(spec.columns[1]).toMatchObject({ type: 'decimal', precision: 12, scale: 2, min: '-1000' });
  });
});

describe('nullValues', () => {
  test('resolved onto every column: the dataset\'s list unless the column has its own; none by default', () => {
    const spec = parseSpec(minimal("nullValues: [NA, '-']\n", '  - name: id\n    type: integer\n  - name: a\n    nullValues: [n/a]\n  - name: b\n    nullValues: []\n'), 'n.yaml');
    expect(spec.columns.map((c) => c.nullValues)).toEqual([['NA', '-'], ['n/a'], []]);
    expect(parseSpec(minimal(), 'm.yaml').columns[0].nullValues).toEqual([]);
  });
  test('an empty spelling, outer spaces and a repeated one are refused where they are written', () => {
    const m = problems(minimal("nullValues: ['', ' NA']\n"));
    expect(m).toContain("my.yaml:4:14: nullValues[0]: an empty null spelling: an empty value is NULL already (drop it)");
    expect(m).toContain('nullValues[1]: null spellings are compared with the trimmed value: write "NA" without the outer spaces');
    expect(problems(minimal('', '  - name: id\n    type: integer\n    nullValues: [NA, NA]\n'))).toMatch(/columns\[0\]\.nullValues: must NOT have duplicate items/);
  });
});

describe('patterns must read the same in JavaScript and Python', () => {
  const patternProblem = (pattern: string) => problems(minimal('', `  - name: id\n    type: integer\n  - name: p\n    type: pattern\n    pattern: ${JSON.stringify(pattern)}\n`));
  test.each([
    ['[A-Z].{2}', 'at character 6: "." is not portable', 'write [^\\n\\r]'],
    ['a{,3}', 'at character 2: {,3} is a quantifier to Python', 'write {0,3}'],
    ['[A-Z]\\s[0-9]', 'at character 6: \\s is not portable', 'write [ \\t]'],
    ['[\\S]+', 'at character 2: \\S is not portable', 'write [^ \\t]'],
    ['(?i)ab', 'at character 1: inline flags such as (?i) are not portable', '[Aa]'],
    ['a*+b', 'at character 3: possessive quantifiers', 'drop the second +'],
    ['(?>ab)c', 'atomic groups', 'write (?:…)'],
    ['ab\\Z', '\\Z is an anchor only Python knows', 'drop it'],
    ['(a)?\\1', 'back-references (\\1) are not portable', 'write the repeated part out'],
    ['(?<=a)b', 'lookbehind is not portable', 'without it'],
    ['(?<n>a)', 'named groups are not portable', 'write (?:…)'],
    ['\\p{Lu}', '\\p is not portable', '[A-Za-z]'],
    ['[[a]', 'nested set', 'write \\['],
    ['a{b', 'a "{" that starts no {n}', 'write \\{'],
    ['\\u{41}', '\\u{…} is JavaScript-only', '\\uXXXX'],
  ])('%s is refused, with what to write instead', (pattern, what, advice) => {
    const m = patternProblem(pattern);
    expect(m).toMatch(/my\.yaml:9:14: columns\[1\]\.pattern: pattern /);
    expect(m).toContain(what);
    expect(m).toContain(advice);
  });
  test.each(['[A-Za-z]{2}', '[^\\n\\r]{1,6}', '\\d{1,3}(,\\d{3})*', '(?:ab|AB)[0-9]{1,3}', '(?=[a-z])[a-z0-9]{2,4}', '[a-z]+?[0-9]*', '\\bab\\b', '^[A-Z]{2}$', '\\x41[\\u00e9]', 'a{2}b{0,1}|x{1,}', '[\\[\\]x]y', '[a-c\\-x]', '\\w\\.\\d'])('%s is allowed', (pattern) => {
    expect(() => parseSpec(minimal('', `  - name: id\n    type: integer\n  - name: p\n    type: pattern\n    pattern: ${JSON.stringify(pattern)}\n`), 'ok.yaml')).not.toThrow();
  });
});

describe('format strings', () => {
  test('tokens', () => {
    expect(parseFormat('MM/DD/YYYY').map((t) => t.kind)).toEqual(['month', 'literal', 'day', 'literal', 'year']);
    expect(parseFormat('hhmmA').map((t) => t.kind)).toEqual(['hour12', 'minute', 'ampm']);
  });
  test('problems', () => {
    expect(formatProblem('date', 'YYYYMMDD')).toBeNull();
    expect(formatProblem('time', 'hhmm')).toBe('a 12-hour clock (hh or h) needs the marker A');
    expect(formatProblem('date', 'YYYY-MM')).toMatch(/needs YYYY, a month/);
    expect(formatProblem('datetime', 'M/D/YYYY h:mm:ss A')).toBeNull();
    expect(formatProblem('date', 'MD/YYYY')).toMatch(/separated/);
  });
});
