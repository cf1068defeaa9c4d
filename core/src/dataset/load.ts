// Reading a dataset spec: YAML or JSON (JSON is YAML), checked against
// core/spec/dataset-spec.schema.json and then for sense (the key names columns, formats
// parse, patterns compile, bounds are ordered), with every default filled in. Every
// error names the file, the line and the path, and what was expected.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import schemaJson from '../../spec/dataset-spec.schema.json';
import { UserError } from '../errors';
import { formatProblem } from './formats';
import { patternPortabilityProblem, patternRegExp } from '../record/pattern';
import { SPEC_FORMAT_VERSION, type ColumnType, type ResolvedColumn, type ResolvedSpec } from './types';
import { compareDecimal, headerKey } from './text';
import { TABLES } from '../db/schema';

// Existing importers read these from here; the row rules import text.ts (no parser deps).
export { compareDecimal, headerKey };

/** Where the specs that ship with pipewarden live (`builtin:NAME`). */
const BUILTIN_SPEC_DIR = resolve(__dirname, '..', '..', 'spec', 'datasets');
export const DEFAULT_DATASET = 'builtin:nyc-parking-violations';

/** Tables pipewarden owns: a dataset may not be loaded into one of them. */
const RESERVED_TABLES: readonly string[] = Object.values(TABLES);

/** Why a dataset may not be loaded into `table` (one of pipewarden's own tables), or null. */
export function ownTableProblem(table: string): string | null {
  return RESERVED_TABLES.includes(table) || table.startsWith('pipewarden_') ? `"${table}" is one of pipewarden's own tables` : null;
}

export const INT64_MIN = '-9223372036854775808';
export const INT64_MAX = '9223372036854775807';

/** The options each type takes (besides name, header, aliases, type, required, description). */
const TYPE_OPTIONS: Record<ColumnType, string[]> = {
  string: ['minLength', 'maxLength'],
  integer: ['min', 'max'],
  decimal: ['precision', 'scale', 'min', 'max'],
  boolean: ['trueValues', 'falseValues'],
  date: ['formats', 'min', 'max'],
  time: ['formats'],
  datetime: ['formats', 'min', 'max'],
  enum: ['values', 'caseSensitive'],
  pattern: ['pattern', 'case', 'minLength', 'maxLength'],
};
const COMMON = ['name', 'header', 'aliases', 'type', 'required', 'description', 'nullValues'];

export const DEFAULTS = {
  stringMaxLength: 255,
  trueValues: ['true', 't', 'yes', 'y', '1'],
  falseValues: ['false', 'f', 'no', 'n', '0'],
  dateFormats: ['YYYY-MM-DD'],
  timeFormats: ['HH:mm:ss', 'HH:mm'],
  datetimeFormats: ['YYYY-MM-DD HH:mm:ss', 'YYYY-MM-DDTHH:mm:ss', 'YYYY-MM-DD HH:mm', 'YYYY-MM-DDTHH:mm'],
  // MySQL's own DATE and DATETIME ranges.
  dateMin: '1000-01-01',
  dateMax: '9999-12-31',
} as const;

type Path = (string | number)[];
interface Located {
  path: Path;
  message: string;
}

class SpecProblems extends Error {
  constructor(readonly problems: Located[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateSchema = ajv.compile(schemaJson);

function showPath(path: Path): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '') || '(top)';
}

function schemaMessage(e: ErrorObject): Located {
  const path: Path = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
  const p = e.params as Record<string, unknown>;
  let message: string;
  switch (e.keyword) {
    case 'additionalProperties':
      path.push(String(p.additionalProperty));
      message = `unknown option "${p.additionalProperty}"`;
      break;
    case 'required':
      message = `missing "${p.missingProperty}"`;
      break;
    case 'enum':
      message = `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'const':
      message = `expected ${JSON.stringify(p.allowedValue)}`;
      break;
    case 'pattern':
      message = e.instancePath.endsWith('/name') && path.length === 1 ? 'expected a dataset name: lower case letters, digits, - and _' : 'expected a SQL name: lower case letters, digits and _, starting with a letter or _, at most 64 characters';
      if (!/identifier|\/name$|\/table$|\/key|\/indexes/.test(e.schemaPath + e.instancePath)) message = `expected text matching ${p.pattern}`;
      break;
    default:
      message = e.message ?? e.keyword;
  }
  return { path, message };
}

/** Schema errors, the most specific first; oneOf's branch noise folded into one message. */
function schemaProblems(errors: ErrorObject[]): Located[] {
  const out: Located[] = [];
  const seen = new Set<string>();
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  for (const e of errors) {
    if (oneOfPaths.has(e.instancePath) && e.keyword !== 'oneOf') continue;
    const located =
      e.keyword === 'oneOf'
        ? { path: schemaMessage(e).path, message: 'expected a column name or a list of column names' }
        : schemaMessage(e);
    const id = `${showPath(located.path)}:${located.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(located);
  }
  return out;
}

/** A decimal string's canonical form (no +, no leading zeros, no trailing fraction zeros). */
function canonicalNumber(v: unknown): string {
  const s = typeof v === 'bigint' ? v.toString() : typeof v === 'number' ? (Number.isInteger(v) ? BigInt(v).toString() : String(v)) : String(v);
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) return s;
  const int = m[2].replace(/^0+(?=\d)/, '') || '0';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const sign = m[1] && (int !== '0' || frac) ? '-' : '';
  return frac ? `${sign}${int}.${frac}` : `${sign}${int}`;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

function validDay(y: number, m: number, d: number): boolean {
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1];
}

/**
 * NULL spellings as written (a dataset's or a column's list): each is compared with the
 * trimmed value, so an empty one (empty is NULL already) or one with outer whitespace
 * (it could never match) is a mistake worth naming.
 */
function nullSpellings(list: unknown, at: Path, problems: Located[]): string[] {
  const values = (list as string[] | undefined) ?? [];
  values.forEach((v, j) => {
    if (v === '') problems.push({ path: [...at, j], message: 'an empty null spelling: an empty value is NULL already (drop it)' });
    else if (v !== v.trim()) problems.push({ path: [...at, j], message: `null spellings are compared with the trimmed value: write ${JSON.stringify(v.trim())} without the outer spaces` });
  });
  return values;
}

function resolveColumn(raw: Record<string, unknown>, i: number, keyNames: Set<string>, datasetNulls: string[], problems: Located[]): ResolvedColumn {
  const at = (k: string): Path => ['columns', i, k];
  const type = (raw.type as ColumnType | undefined) ?? 'string';
  const allowed = new Set([...COMMON, ...TYPE_OPTIONS[type]]);
  for (const k of Object.keys(raw)) if (!allowed.has(k)) problems.push({ path: at(k), message: `"${k}" does not apply to type ${type} (it takes: ${TYPE_OPTIONS[type].join(', ')})` });
  const name = String(raw.name);
  const key = keyNames.has(name);
  if (key && raw.required === false) problems.push({ path: at('required'), message: 'a key column is always required' });
  // A column's own list replaces the dataset's (so `nullValues: []` turns them off there).
  const nullValues = raw.nullValues === undefined ? [...datasetNulls] : nullSpellings(raw.nullValues, at('nullValues'), problems);
  const common = { name, header: String(raw.header ?? name), aliases: (raw.aliases as string[] | undefined) ?? [], required: key || raw.required === true, key, nullValues };
  const bound = (k: 'min' | 'max'): string | undefined => {
    if (raw[k] === undefined) return undefined;
    if (typeof raw[k] === 'string' && !/^-?(\d+\.?\d*|\.\d+)$/.test(raw[k] as string)) problems.push({ path: at(k), message: `expected a number, got "${raw[k]}"` });
    return canonicalNumber(raw[k]);
  };
  const ordered = (min: string | undefined, max: string | undefined, cmp: (a: string, b: string) => number) => {
    if (min !== undefined && max !== undefined && cmp(min, max) > 0) problems.push({ path: at('min'), message: `min ${min} is above max ${max}` });
  };
  const lengths = (defMax: number) => {
    const minLength = (raw.minLength as number | undefined) ?? 0;
    const maxLength = (raw.maxLength as number | undefined) ?? defMax;
    if (minLength > maxLength) problems.push({ path: at('minLength'), message: `minLength ${minLength} is above maxLength ${maxLength}` });
    return { minLength, maxLength };
  };
  const formats = (kind: 'date' | 'time' | 'datetime', defaults: readonly string[]) => {
    const list = (raw.formats as string[] | undefined) ?? [...defaults];
    list.forEach((f, j) => {
      const p = formatProblem(kind, f);
      if (p) problems.push({ path: ['columns', i, 'formats', j], message: `format "${f}": ${p}` });
    });
    return list;
  };
  switch (type) {
    case 'string':
      return { ...common, type, ...lengths(DEFAULTS.stringMaxLength) };
    case 'integer': {
      const min = bound('min') ?? INT64_MIN, max = bound('max') ?? INT64_MAX;
      for (const [k, v] of [['min', min], ['max', max]] as const) {
        if (v.includes('.')) problems.push({ path: at(k), message: `expected a whole number, got ${v}` });
        else if (compareDecimal(v, INT64_MIN) < 0 || compareDecimal(v, '18446744073709551615') > 0) problems.push({ path: at(k), message: `${v} is outside what MySQL's BIGINT can hold` });
      }
      if (compareDecimal(min, '0') < 0 && compareDecimal(max, INT64_MAX) > 0) problems.push({ path: at('max'), message: `with a negative min, max must be at most ${INT64_MAX} (BIGINT)` });
      ordered(min, max, compareDecimal);
      return { ...common, type, min, max };
    }
    case 'decimal': {
      if (raw.precision === undefined) problems.push({ path: at('precision'), message: 'a decimal needs precision (total digits, 1-65)' });
      if (raw.scale === undefined) problems.push({ path: at('scale'), message: 'a decimal needs scale (digits after the point, 0-30)' });
      const precision = (raw.precision as number | undefined) ?? 10, scale = (raw.scale as number | undefined) ?? 0;
      if (scale > precision) problems.push({ path: at('scale'), message: `scale ${scale} is above precision ${precision}` });
      const min = bound('min'), max = bound('max');
      ordered(min, max, compareDecimal);
      return { ...common, type, precision, scale, ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
    }
    case 'boolean': {
      const lower = (v: unknown, d: readonly string[]) => ((v as string[] | undefined) ?? [...d]).map((s) => s.trim().toLowerCase());
      const trueValues = lower(raw.trueValues, DEFAULTS.trueValues), falseValues = lower(raw.falseValues, DEFAULTS.falseValues);
      const both = trueValues.filter((v) => falseValues.includes(v));
      if (both.length) problems.push({ path: at('falseValues'), message: `"${both[0]}" is both true and false` });
      return { ...common, type, trueValues, falseValues };
    }
    case 'date':
    case 'datetime': {
      const fmts = formats(type, type === 'date' ? DEFAULTS.dateFormats : DEFAULTS.datetimeFormats);
      const window = (k: 'min' | 'max', def: string): string => {
        const v = raw[k] === undefined ? def : String(raw[k]);
        const m = DATE_RE.exec(v) ?? DATETIME_RE.exec(v);
        if (!m || !validDay(+m[1], +m[2], +m[3]) || +m[1] < 1000 || (m[4] !== undefined && (+m[4] > 23 || +m[5] > 59 || +m[6] > 59))) {
          problems.push({ path: at(k), message: `expected a ${type === 'date' ? 'date YYYY-MM-DD' : 'date YYYY-MM-DD or date and time YYYY-MM-DD HH:MM:SS'} from year 1000 on, got "${v}"` });
          return def;
        }
        if (type === 'date') {
          if (m[4] !== undefined) problems.push({ path: at(k), message: `a date column's window is dates, got "${v}"` });
          return `${m[1]}-${m[2]}-${m[3]}`;
        }
        return `${m[1]}-${m[2]}-${m[3]} ${m[4] ?? (k === 'min' ? '00' : '23')}:${m[5] ?? (k === 'min' ? '00' : '59')}:${m[6] ?? (k === 'min' ? '00' : '59')}`;
      };
      const min = window('min', type === 'date' ? DEFAULTS.dateMin : `${DEFAULTS.dateMin} 00:00:00`);
      const max = window('max', type === 'date' ? DEFAULTS.dateMax : `${DEFAULTS.dateMax} 23:59:59`);
      if (min > max) problems.push({ path: at('min'), message: `min ${min} is after max ${max}` });
      return { ...common, type, formats: fmts, min, max } as ResolvedColumn;
    }
    case 'time':
      return { ...common, type, formats: formats('time', DEFAULTS.timeFormats) };
    case 'enum': {
      const caseSensitive = (raw.caseSensitive as boolean | undefined) ?? false;
      const values = (raw.values as string[] | undefined) ?? [];
      if (!raw.values) problems.push({ path: at('values'), message: 'an enum needs its values' });
      if (!caseSensitive) {
        const lower = values.map((v) => v.toLowerCase());
        const dup = lower.find((v, j) => lower.indexOf(v) !== j);
        if (dup !== undefined) problems.push({ path: at('values'), message: `"${dup}" is listed twice when case is ignored (set caseSensitive: true, or drop one)` });
      }
      if (values.some((v) => v !== v.trim())) problems.push({ path: at('values'), message: 'values are compared trimmed: drop the outer spaces' });
      return { ...common, type, values, caseSensitive };
    }
    case 'pattern': {
      const pattern = String(raw.pattern ?? '');
      if (!raw.pattern) problems.push({ path: at('pattern'), message: 'a pattern column needs its pattern (a regular expression the whole value must match)' });
      else {
        // Portability first: its advice says what to write, where a regex engine's error would not.
        const portability = patternPortabilityProblem(pattern);
        if (portability) problems.push({ path: at('pattern'), message: `pattern "${pattern}" ${portability}` });
        else {
          try {
            patternRegExp(pattern);
          } catch (e) {
            problems.push({ path: at('pattern'), message: `not a regular expression: ${(e as Error).message}` });
          }
        }
      }
      return { ...common, type, pattern, case: (raw.case as 'keep' | 'upper' | 'lower' | undefined) ?? 'keep', ...lengths(DEFAULTS.stringMaxLength) };
    }
  }
}

/** The resolved spec, or SpecProblems with every problem found. */
function resolveSpec(raw: Record<string, unknown>, origin: string): ResolvedSpec {
  if (!validateSchema(raw)) throw new SpecProblems(schemaProblems(validateSchema.errors ?? []));
  const problems: Located[] = [];
  const keyList = raw.key === undefined ? [] : Array.isArray(raw.key) ? (raw.key as string[]) : [raw.key as string];
  const keyNames = new Set(keyList);
  const rawColumns = raw.columns as Record<string, unknown>[];
  const datasetNulls = nullSpellings(raw.nullValues, ['nullValues'], problems);
  const columns = rawColumns.map((c, i) => resolveColumn(c, i, keyNames, datasetNulls, problems));

  const names = new Map<string, number>();
  const headers = new Map<string, string>();
  columns.forEach((c, i) => {
    if (c.name.startsWith('_pw_')) problems.push({ path: ['columns', i, 'name'], message: 'names starting with _pw_ are pipewarden\'s own columns' });
    if (names.has(c.name)) problems.push({ path: ['columns', i, 'name'], message: `column "${c.name}" is already columns[${names.get(c.name)}]` });
    names.set(c.name, i);
    [c.header, ...c.aliases].forEach((h) => {
      const k = headerKey(h);
      const other = headers.get(k);
      if (other !== undefined && other !== c.name) problems.push({ path: ['columns', i, 'header'], message: `header "${h}" also names column "${other}"` });
      headers.set(k, c.name);
    });
  });
  keyList.forEach((k, j) => {
    if (!names.has(k)) problems.push({ path: Array.isArray(raw.key) ? ['key', j] : ['key'], message: `the key names column "${k}", which the spec does not have` });
  });
  const keyBytes = columns.filter((c) => c.key).reduce((n, c) => n + ('maxLength' in c ? c.maxLength * 4 : c.type === 'enum' ? Math.max(...c.values.map((v) => v.length)) * 4 : 16), 0);
  if (keyBytes > 3072) problems.push({ path: ['key'], message: `the key's columns may hold ${keyBytes} bytes; InnoDB keys hold at most 3072 (lower their maxLength)` });

  const duplicates = (raw.duplicates as ResolvedSpec['duplicates'] | undefined) ?? (keyList.length ? 'first' : 'keep');
  if (keyList.length === 0 && duplicates !== 'keep') problems.push({ path: ['duplicates'], message: `"${duplicates}" needs a key; without one every row is kept as the source has it (duplicates: keep)` });
  if (keyList.length > 0 && duplicates === 'keep') problems.push({ path: ['duplicates'], message: '"keep" is for datasets without a key; with a key, choose first or last' });

  const table = String(raw.table);
  const own = ownTableProblem(table);
  if (own) problems.push({ path: ['table'], message: own });
  const indexes = ((raw.indexes as (string | string[])[] | undefined) ?? []).map((ix) => (Array.isArray(ix) ? ix : [ix]));
  indexes.forEach((ix, j) =>
    ix.forEach((c) => {
      if (!names.has(c)) problems.push({ path: ['indexes', j], message: `the index names column "${c}", which the spec does not have` });
    }),
  );
  const knownExtras = (raw.knownExtras as string[] | undefined) ?? [];
  knownExtras.forEach((h, j) => {
    if (headers.has(headerKey(h))) problems.push({ path: ['knownExtras', j], message: `"${h}" is a column's header` });
  });
  if (problems.length) throw new SpecProblems(problems);
  return {
    specVersion: SPEC_FORMAT_VERSION,
    name: String(raw.name),
    ...(raw.description !== undefined && { description: String(raw.description) }),
    table,
    key: keyList,
    duplicates,
    extraColumns: (raw.extraColumns as ResolvedSpec['extraColumns'] | undefined) ?? 'ignore',
    knownExtras,
    indexes,
    columns,
    origin,
  };
}

/** Plain data with YAML's big integers as numbers when exact, else decimal strings. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function lineOf(doc: Document, lines: LineCounter, path: Path): string {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return `:${line}:${col}`;
    }
  }
  return '';
}

/** Parse and resolve spec text; `name` is how errors name it (a file path). */
export function parseSpec(text: string, name: string, origin: string = name): ResolvedSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, intAsBigInt: true, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const { line, col } = lines.linePos(e.pos[0]);
    throw new UserError(`dataset spec ${name}:${line}:${col}: not valid YAML or JSON: ${e.message.split('\n')[0]}`);
  }
  const raw = plain(doc.toJS());
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`dataset spec ${name}: expected a mapping with name, table and columns`);
  try {
    return resolveSpec(raw as Record<string, unknown>, origin);
  } catch (e) {
    if (!(e instanceof SpecProblems)) throw e;
    const shown = e.problems.slice(0, 20).map((p) => `  ${name}${lineOf(doc, lines, p.path)}: ${showPath(p.path)}: ${p.message}`);
    const more = e.problems.length > 20 ? `\n  … and ${e.problems.length - 20} more` : '';
    throw new UserError(`invalid dataset spec ${name} (${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}):\n${shown.join('\n')}${more}`);
  }
}

/**
 * Names of the specs that ship with pipewarden.
 * @public `pipewarden spec list` reads it through the CLI's lazy require (cli/src/lazy.ts), which knip does not follow.
 */
export function builtinSpecs(): string[] {
  return existsSync(BUILTIN_SPEC_DIR) ? readdirSync(BUILTIN_SPEC_DIR).filter((f) => /\.ya?ml$|\.json$/.test(f)).map((f) => f.replace(/\.(ya?ml|json)$/, '')).sort() : [];
}

/** The file a spec reference names: builtin:NAME, or a path (relative to cwd). */
function specPath(ref: string, cwd = process.cwd()): string {
  if (ref.startsWith('builtin:')) {
    const name = ref.slice('builtin:'.length);
    const file = ['.yaml', '.yml', '.json'].map((x) => join(BUILTIN_SPEC_DIR, name + x)).find(existsSync);
    if (!file) throw new UserError(`no built-in dataset spec "${name}" (built in: ${builtinSpecs().join(', ')})`);
    return file;
  }
  return resolve(cwd, ref);
}

/** Read and resolve a spec: builtin:NAME or a YAML/JSON file. */
export function readSpec(ref: string, cwd = process.cwd()): ResolvedSpec {
  const file = specPath(ref, cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read dataset spec "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseSpec(text, ref.startsWith('builtin:') ? ref : file, ref.startsWith('builtin:') ? ref : file);
}
