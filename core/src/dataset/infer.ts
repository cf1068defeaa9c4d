// `pipewarden spec infer`: propose a dataset spec from a sample of a CSV file, to be read,
// edited and committed by a person. Pure: a header and its records in, a proposal out.
//
// Whether a value fits a type is never decided here: every candidate column definition
// (integer, decimal, each boolean pair, each date/time/datetime format) is handed to the
// rules' reference normalization (core/src/record/rules.ts), the code every load runs, so a
// proposal cannot accept a value the loader would refuse. What this module adds is the
// choice: the narrowest type fitting at least FIT_SHARE of the non-empty values, bounds
// widened from what was seen, and key candidates by uniqueness in the sample.
import { rulesFor } from '../record/rules';
import { compareDecimal, DEFAULTS, headerKey, INT64_MAX, INT64_MIN } from './load';
import { SPEC_FORMAT_VERSION, type ColumnType, type ResolvedColumn, type ResolvedSpec } from './types';

/** A type is proposed when at least this share of a column's non-empty values fit it. */
const FIT_SHARE = 0.99;

export interface SampleTable {
  header: string[];
  /** Records after the header, as split by the CSV splitter (fields untrimmed). */
  rows: string[][];
}

export interface InferOptions {
  /** Dataset name (default: from `source`'s file name). */
  name?: string;
  /** Target table (default: the name in snake_case). */
  table?: string;
  /** Where the sample came from, for the comment at the top and the default name. */
  source?: string;
  /** An enum is proposed only over at least this many non-empty values (default 200). */
  enumMinValues?: number;
}

interface InferredColumn {
  name: string;
  header: string;
  type: ColumnType;
  /** The spec options of the type (as written in the YAML). */
  options: Record<string, unknown>;
  /** Why this type: one or more comment lines. */
  why: string[];
  /** NULL spellings of this column alone (beside the dataset's): written as its own nullValues. */
  nullValues?: string[];
  nonEmpty: number;
  /** Non-empty values that fit the type (the others would load as NULL). */
  fitted: number;
  distinct: number;
}

export interface InferredSpec {
  name: string;
  table: string;
  columns: InferredColumn[];
  key: string[];
  /** Why this key (or why none): comment lines. */
  keyWhy: string[];
  /** The proposed dataset-level NULL spellings ([]: none seen in several typed columns). */
  nullValues: string[];
  nullWhy: string[];
  /** Records the sample held with the header's field count (the others were not used). */
  rows: number;
  skipped: number;
  /** The proposal as commented YAML that readSpec accepts. */
  yaml: string;
}

/** Tried in this order; the first formats are preferred when several fit equally. */
const DATE_FORMATS = ['YYYY-MM-DD', 'MM/DD/YYYY', 'M/D/YYYY', 'DD/MM/YYYY', 'D/M/YYYY', 'YYYYMMDD', 'YYYY/MM/DD', 'DD.MM.YYYY', 'D.M.YYYY', 'DD-MM-YYYY', 'MM-DD-YYYY'];
const TIME_FORMATS = ['HH:mm:ss', 'HH:mm', 'H:mm', 'H:mm:ss', 'hh:mm A', 'h:mm A', 'hh:mm:ss A', 'h:mm:ss A', 'hh:mmA', 'hhmmA', 'HHmm', 'HHmmss'];
const DATETIME_FORMATS = [
  'YYYY-MM-DD HH:mm:ss',
  'YYYY-MM-DDTHH:mm:ss',
  'YYYY-MM-DD HH:mm',
  'YYYY-MM-DDTHH:mm',
  'MM/DD/YYYY HH:mm:ss',
  'MM/DD/YYYY HH:mm',
  'MM/DD/YYYY hh:mm:ss A',
  'MM/DD/YYYY hh:mm A',
  'M/D/YYYY H:mm:ss',
  'M/D/YYYY H:mm',
  'M/D/YYYY h:mm:ss A',
  'M/D/YYYY h:mm A',
  'DD/MM/YYYY HH:mm:ss',
  'DD/MM/YYYY HH:mm',
  'D/M/YYYY H:mm',
  'YYYY/MM/DD HH:mm:ss',
  'DD.MM.YYYY HH:mm:ss',
  'DD.MM.YYYY HH:mm',
  'YYYYMMDD HHmmss',
];
/** Spellings proposed as a boolean when a column holds exactly one pair of them. */
const BOOLEAN_PAIRS: [string, string][] = [
  ['true', 'false'],
  ['t', 'f'],
  ['yes', 'no'],
  ['y', 'n'],
  ['1', '0'],
];
/** maxLength is rounded up to the first of these that holds the longest value seen. */
const LENGTH_STEPS = [4, 8, 16, 32, 64, 128, 255, 1024, 4096, 16383, 65535];
const ENUM_MAX_VALUES = 20;
const ENUM_MAX_LENGTH = 32;
/** InnoDB's key limit (3072 bytes) at 4 bytes a character. */
const KEY_MAX_LENGTH = 768;

interface Candidate {
  kind: 'integer' | 'decimal' | 'boolean' | 'date' | 'time' | 'datetime';
  column: ResolvedColumn;
  format?: string;
  pair?: [string, string];
}

function candidateColumn(i: number, kind: Candidate['kind'], extra: Record<string, unknown>): ResolvedColumn {
  const common = { name: `c${i}`, header: `c${i}`, aliases: [], required: false, key: false, nullValues: [] };
  switch (kind) {
    case 'integer':
      return { ...common, type: 'integer', min: INT64_MIN, max: INT64_MAX };
    case 'decimal':
      return { ...common, type: 'decimal', precision: 65, scale: 30 };
    case 'boolean':
      return { ...common, type: 'boolean', trueValues: [extra.t as string], falseValues: [extra.f as string] };
    case 'date':
      return { ...common, type: 'date', formats: [extra.format as string], min: DEFAULTS.dateMin, max: DEFAULTS.dateMax };
    case 'datetime':
      return { ...common, type: 'datetime', formats: [extra.format as string], min: `${DEFAULTS.dateMin} 00:00:00`, max: `${DEFAULTS.dateMax} 23:59:59` };
    case 'time':
      return { ...common, type: 'time', formats: [extra.format as string] };
  }
}

const CANDIDATES: Candidate[] = (() => {
  const out: Candidate[] = [];
  const add = (kind: Candidate['kind'], extra: Record<string, unknown> = {}) => out.push({ kind, column: candidateColumn(out.length, kind, extra), ...(extra.format !== undefined && { format: extra.format as string }), ...(extra.t !== undefined && { pair: [extra.t as string, extra.f as string] }) });
  add('integer');
  add('decimal');
  for (const [t, f] of BOOLEAN_PAIRS) add('boolean', { t, f });
  for (const format of DATE_FORMATS) add('date', { format });
  for (const format of DATETIME_FORMATS) add('datetime', { format });
  for (const format of TIME_FORMATS) add('time', { format });
  return out;
})();

/**
 * Normalizes one value under every candidate column at once: the written value per
 * candidate, or null where the value is invalid for it — the rules' reference
 * normalization over one spec holding every candidate as an optional column.
 */
function candidateChecker(candidates: ResolvedColumn[]): (value: string) => (string | number | null)[] {
  const spec: ResolvedSpec = {
    specVersion: SPEC_FORMAT_VERSION,
    name: 'infer-candidates',
    table: 'infer_candidates',
    key: [],
    duplicates: 'keep',
    extraColumns: 'ignore',
    knownExtras: [],
    indexes: [],
    columns: candidates,
    origin: 'infer',
  };
  const rules = rulesFor(spec);
  const map = rules.mapHeader(candidates.map((c) => c.header));
  return (value) => {
    const r = rules.normalizeRecord(
      candidates.map(() => value),
      map,
      rules.newOddities(),
    );
    if (!r.ok) return candidates.map(() => null);
    return r.values;
  };
}

/** A SQL-safe column name from a header: snake_case, [a-z_][a-z0-9_]{0,63}, not _pw_…. */
export function columnNameOf(header: string, index: number): string {
  let s = header
    .replace(/^\uFEFF/, '')
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2') // orderId → order_id
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // é → e
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!s) s = `column_${index + 1}`;
  if (/^[0-9]/.test(s)) s = `c_${s}`;
  if (s.startsWith('pw_')) s = `col_${s}`;
  return s.slice(0, 64).replace(/_+$/, '');
}

function uniqueNames(headers: string[]): string[] {
  const used = new Set<string>();
  return headers.map((h, i) => {
    const base = columnNameOf(h, i);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base.slice(0, 60)}_${n}`;
    used.add(name);
    return name;
  });
}

/** Dataset name from a file name: [a-z0-9][a-z0-9_-]{0,62}. */
export function datasetNameOf(source: string | undefined): string {
  const base = (source ?? '').split(/[\\/]/).pop() ?? '';
  const s = base
    .replace(/\.(csv|txt|tsv)(\.gz)?$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 63);
  return s || 'my-dataset';
}

const n = (x: number) => x.toLocaleString('en-US');
const share = (part: number, whole: number) => `${n(part)} of ${n(whole)}`;

/** The smallest 10^k − 1 above `digits` digits: one digit of headroom over what was seen. */
function widened(canonical: string): string {
  const digits = canonical.replace('-', '').length;
  const bound = '9'.repeat(digits + 1);
  if (canonical.startsWith('-')) return compareDecimal(`-${bound}`, INT64_MIN) < 0 ? INT64_MIN : `-${bound}`;
  return compareDecimal(bound, INT64_MAX) > 0 ? INT64_MAX : bound;
}

/**
 * Spellings sources use for "no value". One found in a column that is typed without it
 * (integers, dates…) is proposed as a NULL spelling, and left out of the type choice.
 * Exact spellings: the rule compares case-sensitively.
 */
const NULL_SPELLINGS = ['NA', 'N/A', 'n/a', 'na', '#N/A', 'NULL', 'null', 'Null', '\\N', 'None', 'none', 'NaN', 'nan', '-', '--', '.', '?', 'n.a.'];
const NULL_SET = new Set(NULL_SPELLINGS);

interface ColumnStats {
  /** Distinct trimmed non-empty values and how many times each occurs. */
  counts: Map<string, number>;
  nonEmpty: number;
  longest: number;
}

function statsOf(rows: string[][], i: number, skip: ReadonlySet<string> | null = null): ColumnStats {
  const counts = new Map<string, number>();
  let nonEmpty = 0;
  let longest = 0;
  for (const r of rows) {
    const v = r[i].trim();
    if (v === '' || skip?.has(v)) continue;
    nonEmpty++;
    counts.set(v, (counts.get(v) ?? 0) + 1);
    if (v.length > longest) longest = v.length;
  }
  return { counts, nonEmpty, longest };
}

/** Per candidate, which distinct values it accepts (their written values). */
function fitsOf(stats: ColumnStats, check: (value: string) => (string | number | null)[]): (string | number | null)[][] {
  const out: (string | number | null)[][] = CANDIDATES.map(() => []);
  for (const v of stats.counts.keys()) {
    const written = check(v);
    for (let c = 0; c < CANDIDATES.length; c++) out[c].push(written[c]);
  }
  return out;
}

function lengthStep(longest: number): number {
  return LENGTH_STEPS.find((s) => s >= longest) ?? 65535;
}

/**
 * The formats of one temporal kind covering at least FIT_SHARE of the values: the best
 * format first, then (up to 3 more) those covering the most of what is left. An
 * all-digit format (YYYYMMDD, HHmm) may lead only for dates: 4-digit numbers are too often
 * just numbers to be called times.
 */
function temporalFit(kind: 'date' | 'time' | 'datetime', values: string[], weights: number[], fits: (string | number | null)[][], total: number): { formats: string[]; covered: number; perFormat: number[]; written: (string | null)[] } | null {
  const idx = CANDIDATES.map((c, i) => (c.kind === kind ? i : -1)).filter((i) => i >= 0);
  const covered = values.map(() => false);
  const written: (string | null)[] = values.map(() => null);
  const chosen: number[] = [];
  const perFormat: number[] = [];
  let sum = 0;
  while (chosen.length < 4 && sum < FIT_SHARE * total) {
    let best = -1, bestGain = 0;
    for (const c of idx) {
      if (chosen.includes(c)) continue;
      if (chosen.length === 0 && /^[YMDHhms]+$/.test(CANDIDATES[c].format!) && kind !== 'date') continue;
      let gain = 0;
      for (let v = 0; v < values.length; v++) if (!covered[v] && fits[c][v] !== null) gain += weights[v];
      if (gain > bestGain) {
        best = c;
        bestGain = gain;
      }
    }
    if (best < 0) break;
    chosen.push(best);
    perFormat.push(bestGain);
    sum += bestGain;
    for (let v = 0; v < values.length; v++)
      if (!covered[v] && fits[best][v] !== null) {
        covered[v] = true;
        written[v] = String(fits[best][v]);
      }
  }
  if (sum < FIT_SHARE * total || chosen.length === 0) return null;
  return { formats: chosen.map((c) => CANDIDATES[c].format!), covered: sum, perFormat, written };
}

/** The type, plus a hint when most (not 99%) of the values are dates or times: a spec with formats might be meant. */
function inferColumn(name: string, header: string, stats: ColumnStats, check: (value: string) => (string | number | null)[], enumMinValues: number): InferredColumn {
  const fits = stats.nonEmpty ? fitsOf(stats, check) : [];
  const c = chooseType(name, header, stats, fits, enumMinValues);
  if (stats.nonEmpty > 0 && (c.type === 'integer' || c.type === 'string' || c.type === 'pattern')) {
    const weights = [...stats.counts.values()];
    for (const kind of ['datetime', 'date', 'time'] as const) {
      let best = 0, format = '';
      CANDIDATES.forEach((cand, i) => {
        if (cand.kind !== kind) return;
        const k = fits[i].reduce<number>((a, w, v) => (w === null ? a : a + weights[v]), 0);
        if (k > best) [best, format] = [k, cand.format!];
      });
      if (best >= 0.5 * stats.nonEmpty) {
        c.why.push(`${share(best, stats.nonEmpty)} values parse as ${kind} ${format}: if that is what it is, make it type ${kind} with that format (the other values would load as NULL)`);
        break;
      }
    }
  }
  return c;
}

function chooseType(name: string, header: string, stats: ColumnStats, fits: (string | number | null)[][], enumMinValues: number): InferredColumn {
  const total = stats.nonEmpty;
  const base = { name, header, nonEmpty: total, fitted: total, distinct: stats.counts.size };
  if (total === 0) return { ...base, type: 'string', options: { maxLength: DEFAULTS.stringMaxLength }, why: ['every value is empty in the sample: the type is a guess (string), check it'] };
  const values = [...stats.counts.keys()];
  const weights = values.map((v) => stats.counts.get(v)!);
  const fitCount = (c: number) => fits[c].reduce<number>((s, w, v) => (w === null ? s : s + weights[v]), 0);
  const enough = (k: number) => k >= FIT_SHARE * total;
  const rest = (k: number) => (k < total ? ` (the other ${n(total - k)} would load as NULL)` : '');

  // boolean: exactly one pair of spellings, both seen.
  for (let c = 0; c < CANDIDATES.length; c++) {
    const cand = CANDIDATES[c];
    if (cand.kind !== 'boolean') continue;
    const k = fitCount(c);
    const seen = new Set(fits[c].filter((w) => w !== null));
    if (enough(k) && seen.size === 2) {
      return { ...base, fitted: k, type: 'boolean', options: { trueValues: [cand.pair![0]], falseValues: [cand.pair![1]] }, why: [`${share(k, total)} values are ${cand.pair![0]}/${cand.pair![1]} (any case)${rest(k)}`] };
    }
  }

  // date, datetime, time: by the formats that cover the values.
  for (const kind of ['datetime', 'date', 'time'] as const) {
    const t = temporalFit(kind, values, weights, fits, total);
    if (!t) continue;
    const why = t.formats.map((f, j) => `${share(t.perFormat[j], total)} values parse as ${f}${j === 0 && t.formats.length === 1 ? rest(t.covered) : ''}`);
    if (t.formats.length > 1 && t.covered < total) why.push(`the other ${n(total - t.covered)} would load as NULL`);
    const options: Record<string, unknown> = { formats: t.formats };
    if (kind !== 'time') {
      const seen = t.written.filter((w): w is string => w !== null).sort();
      const lo = seen[0], hi = seen[seen.length - 1];
      const inCentury = lo >= '1900' && hi < '2100';
      options.min = inCentury ? '1900-01-01' : kind === 'date' ? DEFAULTS.dateMin : `${DEFAULTS.dateMin} 00:00:00`;
      options.max = inCentury ? (kind === 'date' ? '2099-12-31' : '2099-12-31 23:59:59') : kind === 'date' ? DEFAULTS.dateMax : `${DEFAULTS.dateMax} 23:59:59`;
      why.push(`seen from ${lo} to ${hi}; the window ${inCentury ? 'is 1900-2099: a date outside it is a typo, loaded as NULL' : 'is MySQL\'s whole range'}`);
    }
    // A day-first and a month-first format both fitting is worth a look.
    if (kind !== 'time') {
      const first = t.formats[0];
      const twin = first.includes('MM/DD') ? first.replace('MM/DD', 'DD/MM') : first.includes('DD/MM') ? first.replace('DD/MM', 'MM/DD') : null;
      const twinIdx = CANDIDATES.findIndex((c) => c.kind === kind && c.format === twin);
      if (twinIdx >= 0 && fitCount(twinIdx) === t.perFormat[0]) why.push(`every one of them also parses as ${twin}: check which the source means`);
    }
    return { ...base, fitted: t.covered, type: kind, options, why };
  }

  // integer: observed bounds, widened by one digit; zero-padded codes stay text.
  const intIdx = CANDIDATES.findIndex((c) => c.kind === 'integer');
  const kInt = fitCount(intIdx);
  if (enough(kInt)) {
    const ok = values.filter((_, v) => fits[intIdx][v] !== null);
    const padded = ok.filter((v) => /^-?0\d/.test(v)).length;
    const widths = new Set(ok.map((v) => v.length));
    if (padded > 0 && widths.size === 1) {
      const w = [...widths][0];
      return {
        ...base,
        fitted: kInt,
        type: 'pattern',
        options: { pattern: `[0-9]{${w}}`, minLength: w, maxLength: w },
        why: [`${share(kInt, total)} values are ${w}-digit codes, some with leading zeros (e.g. "${ok.find((v) => /^-?0\d/.test(v))}"): kept as text, since an integer would drop the zeros (make it type integer if they do not matter)${rest(kInt)}`],
      };
    }
    const written = fits[intIdx].filter((w): w is string | number => w !== null).map(String).sort(compareDecimal);
    const lo = written[0], hi = written[written.length - 1];
    const min = compareDecimal(lo, '0') >= 0 ? '0' : widened(lo);
    const max = compareDecimal(hi, '0') < 0 ? '0' : widened(hi);
    return { ...base, fitted: kInt, type: 'integer', options: { min, max }, why: [`${share(kInt, total)} values are integers from ${lo} to ${hi}${rest(kInt)}; the bounds allow one more digit`] };
  }

  // decimal: the precision and scale seen, one more integer digit.
  const decIdx = CANDIDATES.findIndex((c) => c.kind === 'decimal');
  const kDec = fitCount(decIdx);
  if (enough(kDec)) {
    let intDigits = 1, scale = 0;
    values.forEach((v, i) => {
      if (fits[decIdx][i] === null) return;
      const [int, frac = ''] = v.replace('-', '').split('.');
      intDigits = Math.max(intDigits, int.replace(/^0+/, '').length);
      scale = Math.max(scale, frac.length);
    });
    scale = Math.min(scale, 30);
    const precision = Math.min(65, intDigits + 1 + scale);
    return { ...base, fitted: kDec, type: 'decimal', options: { precision, scale }, why: [`${share(kDec, total)} values are decimal numbers with up to ${intDigits} integer and ${scale} fraction digit${scale === 1 ? '' : 's'}${rest(kDec)}; precision allows one more integer digit`] };
  }

  // enum: few short values over a large sample.
  const lower = new Map<string, { spelling: string; count: number }>();
  for (const [v, c] of stats.counts) {
    const k = v.toLowerCase();
    const e = lower.get(k);
    if (!e) lower.set(k, { spelling: v, count: c });
    else {
      e.count += c;
      if (c > (stats.counts.get(e.spelling) ?? 0)) e.spelling = v;
    }
  }
  // A list where most values were seen once is open (meter numbers, not states).
  const once = [...lower.values()].filter((e) => e.count === 1).length;
  if (total >= enumMinValues && lower.size <= ENUM_MAX_VALUES && stats.longest <= ENUM_MAX_LENGTH && once * 2 <= lower.size) {
    const list = [...lower.values()].sort((a, b) => b.count - a.count);
    return {
      ...base,
      type: 'enum',
      options: { values: list.map((e) => e.spelling) },
      why: [`${n(total)} values, only ${list.length} distinct (case ignored): ${list.slice(0, 6).map((e) => `${e.spelling} ${n(e.count)}`).join(', ')}${list.length > 6 ? ', …' : ''}`, 'a value not listed loads as NULL: make it a string if the list is open'],
    };
  }

  const maxLength = lengthStep(stats.longest);
  return { ...base, type: 'string', options: { maxLength }, why: [`text, ${n(stats.counts.size)} distinct values, the longest ${n(stats.longest)} characters (maxLength rounded up)`] };
}

/**
 * The dataset's NULL spellings: those seen in at least two typed columns. A column with
 * spellings of its own gets its own list (the dataset's and its own: a column's list
 * replaces the dataset's).
 */
function chooseNulls(nullsOf: Map<InferredColumn, string[]>): { nullValues: string[]; nullWhy: string[] } {
  const columnsOf = new Map<string, string[]>();
  for (const [c, spellings] of nullsOf) for (const v of spellings) columnsOf.set(v, [...(columnsOf.get(v) ?? []), c.name]);
  const shared = NULL_SPELLINGS.filter((v) => (columnsOf.get(v)?.length ?? 0) >= 2);
  for (const [c, spellings] of nullsOf) {
    const own = spellings.filter((v) => !shared.includes(v));
    if (own.length) c.nullValues = [...shared, ...own];
  }
  const nullWhy = shared.length
    ? [`${shared.map(q).join(', ')} stand for "no value" in several typed columns (${[...new Set(shared.flatMap((v) => columnsOf.get(v)!))].slice(0, 6).join(', ')}): read as NULL in every column (compared case-sensitively, after trimming)`]
    : [];
  return { nullValues: shared, nullWhy };
}

/** A column may be (part of) a key: a type whose written value identifies a row. */
function keyable(c: InferredColumn): boolean {
  if (c.type === 'integer' || c.type === 'pattern' || c.type === 'enum' || c.type === 'date') return true;
  return c.type === 'string' && (c.options.maxLength as number) <= KEY_MAX_LENGTH;
}

function keyRank(c: InferredColumn): number {
  const named = /(^|_)(id|number|no|num|code|key)$/.test(c.name);
  if (c.type === 'integer') return named ? 0 : 1;
  if (c.type === 'pattern') return named ? 2 : 3;
  return named ? 4 : 5;
}

function chooseKey(columns: InferredColumn[], rows: string[][]): { key: string[]; why: string[] } {
  if (rows.length < 2) return { key: [], why: ['the sample has fewer than 2 rows: no key can be judged'] };
  // Candidates: keyable, every row non-empty and of the type (a misfit would reject the row).
  const eligible = columns.map((c, i) => ({ c, i })).filter(({ c }) => keyable(c) && c.nonEmpty === rows.length && c.fitted === c.nonEmpty && c.distinct > 1);
  const singles = eligible.filter(({ c }) => c.distinct === rows.length).sort((a, b) => keyRank(a.c) - keyRank(b.c) || a.i - b.i);
  if (singles.length) {
    const others = singles.slice(1, 4).map(({ c }) => c.name);
    return {
      key: [singles[0].c.name],
      why: [`${singles[0].c.name}: unique and non-empty in all ${n(rows.length)} sampled rows${others.length ? ` (also unique: ${others.join(', ')})` : ''}`, 'uniqueness in a sample is a hint, not a proof: check that the source promises it'],
    };
  }
  const byRank = [...eligible].sort((a, b) => keyRank(a.c) - keyRank(b.c) || b.c.distinct - a.c.distinct);
  for (let x = 0; x < byRank.length; x++) {
    for (let y = x + 1; y < byRank.length; y++) {
      const [a, b] = [byRank[x], byRank[y]].sort((p, q) => p.i - q.i);
      if (a.c.distinct * b.c.distinct < rows.length) continue;
      const seen = new Set<string>();
      let unique = true;
      for (const r of rows) {
        const k = `${r[a.i].trim()}\t${r[b.i].trim()}`;
        if (seen.has(k)) {
          unique = false;
          break;
        }
        seen.add(k);
      }
      if (unique) return { key: [a.c.name, b.c.name], why: [`no single column is unique in the ${n(rows.length)} sampled rows; ${a.c.name} and ${b.c.name} are, together (a composite key)`, 'uniqueness in a sample is a hint, not a proof: check that the source promises it'] };
    }
  }
  return {
    key: [],
    why: [
      `no column, nor any pair of columns, is unique and non-empty in the ${n(rows.length)} sampled rows: no key.`,
      'Without a key every row is kept as the source has it (duplicates: keep); batches are',
      'still loaded exactly once (the ledger). Add a key if the source has one.',
    ],
  };
}

// YAML: names are SQL-safe and written bare; every other string is JSON-quoted (valid YAML).
const q = (s: string) => JSON.stringify(s);
function yamlValue(v: unknown, bound = false): string {
  if (Array.isArray(v)) return `[${v.map((x) => yamlValue(x)).join(', ')}]`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  // Integer bounds read better bare; YAML would read other strings of digits as numbers.
  if (bound && /^-?\d+$/.test(s) && Number.isSafeInteger(Number(s))) return s;
  return q(s);
}

function toYaml(p: Omit<InferredSpec, 'yaml'>, source: string | undefined): string {
  const lines: string[] = [];
  lines.push(`# Proposed by \`pipewarden spec infer\`${source ? ` from ${source}` : ''}: ${n(p.rows)} sampled rows.`);
  if (p.skipped) lines.push(`# ${n(p.skipped)} more records had another field count than the header and were not used.`);
  lines.push('# A proposal, not a promise: read every comment, then edit and commit it.');
  lines.push('# Check it against a whole file with `pipewarden spec check SPEC FILE` (it writes nothing).');
  lines.push(`specVersion: ${SPEC_FORMAT_VERSION}`);
  lines.push(`name: ${p.name}`);
  lines.push(`table: ${p.table}`);
  for (const w of p.keyWhy) lines.push(`# ${w}`);
  if (p.key.length === 1) lines.push(`key: ${p.key[0]}`);
  else if (p.key.length > 1) lines.push(`key: [${p.key.join(', ')}]`);
  for (const w of p.nullWhy) lines.push(`# ${w}`);
  if (p.nullValues.length) lines.push(`nullValues: ${yamlValue(p.nullValues)}`);
  lines.push(`duplicates: ${p.key.length ? 'first' : 'keep'}${p.key.length ? '   # first occurrence wins; "last" makes later rows replace earlier ones' : ''}`);
  lines.push('extraColumns: ignore');
  lines.push('columns:');
  for (const c of p.columns) {
    for (const w of c.why) lines.push(`  # ${w}`);
    lines.push(`  - name: ${c.name}`);
    lines.push(`    header: ${q(c.header)}`);
    lines.push(`    type: ${c.type}`);
    if (c.nullValues) lines.push(`    nullValues: ${yamlValue(c.nullValues)}`);
    for (const [k, v] of Object.entries(c.options)) lines.push(`    ${k}: ${yamlValue(v, k === 'min' || k === 'max')}`);
  }
  return lines.join('\n') + '\n';
}

/** Propose a spec for a sample: the header and its records (rows with another field count are skipped). */
export function inferSpec(table: SampleTable, opts: InferOptions = {}): InferredSpec {
  const header = table.header.map((h) => h.replace(/^\uFEFF/, '').trim());
  const rows = table.rows.filter((r) => r.length === header.length && !(r.length === 1 && r[0] === ''));
  const skipped = table.rows.length - rows.length;
  const names = uniqueNames(header);
  const check = candidateChecker(CANDIDATES.map((c) => c.column));
  const seenHeaders = new Map<string, string>();
  const columns: InferredColumn[] = [];
  const indexes: number[] = [];
  const nullsOf = new Map<InferredColumn, string[]>();
  header.forEach((h, i) => {
    const k = headerKey(h);
    if (seenHeaders.has(k)) return; // a repeated header cannot name two columns; the first one is mapped
    seenHeaders.set(k, names[i]);
    const raw = statsOf(rows, i);
    const seenNulls = [...raw.counts.keys()].filter((v) => NULL_SET.has(v));
    let stats = raw;
    let c: InferredColumn | null = null;
    if (seenNulls.length) {
      // Typed once the NULL spellings are set aside? Then they are NULLs, not text.
      const clean = statsOf(rows, i, NULL_SET);
      const typed = clean.nonEmpty > 0 ? inferColumn(names[i], h || `column ${i + 1}`, clean, check, opts.enumMinValues ?? 200) : null;
      if (typed && typed.type !== 'string' && typed.type !== 'enum') {
        stats = clean;
        c = typed;
        nullsOf.set(c, seenNulls);
        c.why.push(`${seenNulls.map((v) => `${q(v)} ×${n(raw.counts.get(v)!)}`).join(', ')}: read as NULL (nullValues), not as values of the type`);
      }
    }
    c ??= inferColumn(names[i], h || `column ${i + 1}`, stats, check, opts.enumMinValues ?? 200);
    if (!h) c.why.push('the header is empty here: name it in the file, or this column cannot be mapped');
    columns.push(c);
    indexes.push(i);
  });
  const { nullValues, nullWhy } = chooseNulls(nullsOf);
  const repeated = header.filter((h, i) => seenHeaders.get(headerKey(h)) !== names[i]);
  const byColumnRows = rows.map((r) => indexes.map((i) => r[i]));
  const { key, why } = chooseKey(columns, byColumnRows);
  if (repeated.length) why.push(`the header repeats ${repeated.map(q).join(', ')}: only the first of each is a column`);
  const name = opts.name ?? datasetNameOf(opts.source);
  const tableName = opts.table ?? (columnNameOf(name, 0).replace(/^c_/, 't_') || 'my_table');
  const proposal = { name, table: tableName, columns, key, keyWhy: why, nullValues, nullWhy, rows: rows.length, skipped };
  return { ...proposal, yaml: toYaml(proposal, opts.source) };
}
