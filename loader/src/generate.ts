// Synthetic CSV for any dataset spec, deterministic by seed, fast enough for 10M rows in
// minutes (one string per row). The spec, read at run time, decides everything a value must
// satisfy (generate-columns.ts makes values from its bounds, formats, windows and lengths);
// a dataset may add a realism profile (generate-nyc.ts: the NYC export's value
// distributions and oddities). The rows mix, by share: rows that cannot be kept (each with
// one known reject reason), repeated keys, empty optional cells and invalid optional cells
// (loaded as NULL and counted as oddities), so a load of the file has known totals.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { DEFAULT_DATASET, UserError, readSpec, rulesFor, type RejectReason, type ResolvedSpec } from '@pipewarden/core';
import { columnMaker, type ColumnMaker, type Rnd } from './generate-columns';
import { NYC_PROFILE, type Profile } from './generate-nyc';
import { keySequence, type KeyOrder, type KeySequence } from './key-order';
import { prng } from './prng';

export { prng };

/** Realism profiles by dataset name (used unless `profile: false`). */
const PROFILES: Record<string, Profile> = { 'nyc-parking-violations': NYC_PROFILE };

export interface GenerateOptions {
  rows: number;
  seed?: number;
  /** The dataset to write (default: the built-in NYC parking violations spec). */
  spec?: ResolvedSpec;
  /** Use the dataset's realism profile when it has one (default true; NYC has one). */
  profile?: boolean;
  /** Share of rows that cannot be kept (a missing or invalid key or required value, a wrong field count, a stray quote). */
  badShare?: number;
  /** Share of rows repeating an earlier row's key (all key columns; keyed datasets only). */
  duplicateShare?: number;
  /** Share of optional cells holding a value invalid for their column (loaded NULL, counted as oddities). Default 0.005, or 0 with a profile (it carries the real data's oddities). */
  oddShare?: number;
  /** Share of optional cells left empty. Default 0.05, or 0 with a profile (it has its own empty cells). */
  emptyShare?: number;
  /**
   * A single integer key: its first value (default BASE_KEY when the column's bounds allow,
   * else its min). Other keys: the first key index. Files with disjoint ranges share no key.
   */
  keyBase?: number;
  /** Add the spec's knownExtras as empty columns (NYC: the Kaggle export's 8 geographic columns). */
  kaggle?: boolean;
  crlf?: boolean;
  /** The order of the distinct keys (key-order.ts): like the real NYC export (default), or shuffled. */
  keyOrder?: KeyOrder;
}

export interface GenerateStats {
  rows: number;
  /** Rows that cannot be kept (sum of `rejects`). */
  bad: number;
  /** Rows written with an earlier row's key. */
  duplicates: number;
  bytes: number;
  /** The bad rows by the reason a load rejects them with. */
  rejects: Partial<Record<RejectReason, number>>;
  /** Invalid optional cells written in rows that are kept (a profile's own oddities not included), in total and by column. */
  oddities: number;
  odditiesByColumn: Record<string, number>;
}

const BASE_KEY = 1_000_000_000;

/** The key columns' values of the j-th distinct key. */
function keyPlan(spec: ResolvedSpec, makers: ColumnMaker[], rows: number, keyBase: number | undefined): (j: number) => string[] {
  const keyCols = rulesFor(spec).keyIndexes;
  if (keyCols.length === 0) return () => [];
  const span = BigInt(rows);
  const only = spec.columns[keyCols[0]];
  if (keyCols.length === 1 && only.type === 'integer') {
    const min = BigInt(only.min), max = BigInt(only.max);
    const base = keyBase !== undefined ? BigInt(keyBase) : BigInt(BASE_KEY) >= min && BigInt(BASE_KEY) + span - 1n <= max ? BigInt(BASE_KEY) : min;
    if (base < min || base + span - 1n > max) throw new UserError(`${rows} keys from ${base} do not fit the bounds of key column "${only.name}" (${only.min}..${only.max})`);
    return (j) => [(base + BigInt(j)).toString()];
  }
  const offset = BigInt(keyBase ?? 0);
  const caps = keyCols.map((ci) => makers[ci].capacity);
  const room = caps.reduce((a, b) => a * b, 1n);
  if (room < offset + span) throw new UserError(`the key (${spec.key.join(', ')}) can take ${room} distinct values within the spec's bounds; ${rows} rows need ${offset + span}`);
  return (j) => {
    let x = offset + BigInt(j);
    const out = new Array<string>(keyCols.length);
    for (let k = keyCols.length - 1; k > 0; k--) {
      out[k] = makers[keyCols[k]].keyValue(x % caps[k]);
      x /= caps[k];
    }
    out[0] = makers[keyCols[0]].keyValue(x);
    return out;
  };
}

const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

type BadKind = 'missing_key' | 'invalid_key' | 'missing_value' | 'invalid_value' | 'column_count' | 'csv_error';

/** The options' shares, defaults filled in (a profile carries its own empty and invalid cells). */
interface Shares {
  bad: number;
  duplicate: number;
  odd: number;
  empty: number;
}

function sharesOf(opts: GenerateOptions, spec: ResolvedSpec, profile: Profile | undefined): Shares {
  return {
    bad: opts.badShare ?? 0.01,
    duplicate: spec.key.length ? (opts.duplicateShare ?? 0.001) : 0,
    odd: opts.oddShare ?? (profile ? 0 : 0.005),
    empty: opts.emptyShare ?? (profile ? 0 : 0.05),
  };
}

/** The header line: the spec's headers (as the profile spells them), then the extras asked for. */
function headerLine(spec: ResolvedSpec, profile: Profile | undefined, extras: readonly string[]): string {
  return spec.columns.map((c) => csvField(profile?.header ? profile.header(c.name, c.header) : c.header)).join(',') + (extras.length ? ',' + extras.map(csvField).join(',') : '');
}

/**
 * The rows of a file, one CSV line at a time (in order: row i's line is asked for before row
 * i + 1's, as every value, duplicate and spoilt row is drawn from the one random stream).
 * Counts in `stats` the duplicates, bad rows and oddities it writes.
 */
class RowMaker {
  private readonly rnd: Rnd;
  private readonly shares: Shares;
  private readonly makers: ColumnMaker[];
  private readonly keyOf: (j: number) => string[];
  private readonly keyIndexOf: KeySequence;
  private readonly keyCols: readonly number[];
  private readonly isKey: boolean[];
  private readonly required: number[];
  private readonly optional: number[];
  private readonly nullsOf: string[][];
  private readonly kinds: BadKind[];
  private readonly quoteAt: number;
  private readonly extra: string;
  private readonly cells: string[];

  constructor(
    private readonly spec: ResolvedSpec,
    private readonly profile: Profile | undefined,
    opts: GenerateOptions,
    private readonly stats: GenerateStats,
  ) {
    this.rnd = prng(opts.seed ?? 1);
    this.shares = sharesOf(opts, spec, profile);
    this.makers = spec.columns.map(columnMaker);
    this.keyOf = keyPlan(spec, this.makers, opts.rows, opts.keyBase);
    // Its own random stream: the order does not shift the draws of values, bad rows and duplicates.
    this.keyIndexOf = keySequence(opts.keyOrder ?? 'source-like', opts.rows, ((opts.seed ?? 1) ^ 0x6b657973) >>> 0);
    this.keyCols = rulesFor(spec).keyIndexes;
    this.isKey = spec.columns.map((c) => c.key);
    this.required = spec.columns.map((c, i) => i).filter((i) => spec.columns[i].required && !this.isKey[i]);
    this.optional = spec.columns.map((c, i) => i).filter((i) => !spec.columns[i].required);
    this.nullsOf = spec.columns.map((c) => c.nullValues ?? []);
    this.kinds = [...(this.keyCols.length ? (['missing_key', 'invalid_key'] as const) : []), ...(this.required.length ? (['missing_value', 'invalid_value'] as const) : []), 'column_count', 'csv_error'];
    // The stray quote goes in a middle column (as in the first NYC generator: Days Parking In Effect).
    this.quoteAt = spec.columns.length > 30 ? 30 : Math.floor(spec.columns.length / 2);
    this.extra = ','.repeat(opts.kaggle ? spec.knownExtras.length : 0);
    this.cells = new Array<string>(spec.columns.length);
  }

  /** Row i's CSV line, without its line end. */
  line(i: number): string {
    this.fill(this.keyIndex(i));
    const kind = this.shares.bad > 0 && this.rnd() < this.shares.bad ? this.spoil() : undefined;
    if (kind === undefined && this.shares.odd > 0) this.addOddities();
    return this.csv(kind);
  }

  /** Row i's distinct key, or now and then (after the first rows) an earlier row's. */
  private keyIndex(i: number): number {
    const own = this.keyIndexOf(i);
    if (i > 10 && this.rnd() < this.shares.duplicate) {
      this.stats.duplicates++;
      return this.keyIndexOf(Math.floor(this.rnd() * i));
    }
    return own;
  }

  /** Every cell valid: the key, the profile's realistic values, generic ones for the rest (optional cells now and then empty). */
  private fill(keyIndex: number): void {
    const { cells, spec, rnd } = this;
    const key = this.keyOf(keyIndex);
    this.keyCols.forEach((ci, k) => (cells[ci] = key[k]));
    const real = this.profile?.row(rnd);
    for (let ci = 0; ci < cells.length; ci++) {
      if (this.isKey[ci]) continue;
      const v = real?.[spec.columns[ci].name];
      if (v !== undefined) cells[ci] = v;
      else cells[ci] = !spec.columns[ci].required && this.shares.empty > 0 && rnd() < this.shares.empty ? this.emptyCell(ci) : this.makers[ci].valid(rnd);
    }
  }

  // A column's NULL spellings stand in for half of its empty cells (and of its missing
  // keys / values): a load reads them exactly as empty, so the totals do not change.
  // Columns without spellings draw nothing more (a spec's output stays what it was).
  private emptyCell(ci: number): string {
    const spellings = this.nullsOf[ci];
    return spellings.length > 0 && this.rnd() < 0.5 ? spellings[Math.floor(this.rnd() * spellings.length)] : '';
  }

  /** Makes the row one a load rejects, for a reason drawn from those the spec allows; returns the reason. */
  private spoil(): BadKind {
    const { cells, rnd } = this;
    let kind = this.kinds[Math.floor(rnd() * this.kinds.length)];
    const pickOf = (list: readonly number[]) => list[Math.floor(rnd() * list.length)];
    if (kind === 'invalid_key' || kind === 'invalid_value') {
      const ci = pickOf(kind === 'invalid_key' ? this.keyCols : this.required);
      const bad = this.makers[ci].invalid(rnd);
      if (bad === null) kind = kind === 'invalid_key' ? 'missing_key' : 'missing_value';
      cells[ci] = bad ?? this.emptyCell(ci);
    } else if (kind === 'missing_key' || kind === 'missing_value') {
      const ci = pickOf(kind === 'missing_key' ? this.keyCols : this.required);
      cells[ci] = this.emptyCell(ci);
    }
    this.stats.rejects[kind] = (this.stats.rejects[kind] ?? 0) + 1;
    this.stats.bad++;
    return kind;
  }

  /** Invalid values in some optional cells of a kept row (loaded NULL, counted as oddities). */
  private addOddities(): void {
    const { stats, rnd } = this;
    for (const ci of this.optional) {
      if (rnd() >= this.shares.odd) continue;
      const bad = this.makers[ci].invalid(rnd);
      if (bad === null) continue;
      this.cells[ci] = bad;
      stats.oddities++;
      const name = this.spec.columns[ci].name;
      stats.odditiesByColumn[name] = (stats.odditiesByColumn[name] ?? 0) + 1;
    }
  }

  /** The cells as a CSV line, broken for the bad kinds that live in the line itself. */
  private csv(kind: BadKind | undefined): string {
    // csv_error: characters after a closing quote.
    let row = kind === 'csv_error' ? this.cells.map((c, j) => (j === this.quoteAt ? '"BBB"BB' : csvField(c))).join(',') : this.cells.map(csvField).join(',');
    if (row === '') row = '""'; // one empty column: an empty line would be no record at all
    row += this.extra;
    if (kind === 'column_count') row += ',extra';
    return row;
  }
}

/** The output file, written a chunk of about 1 MB at a time (lines are gathered in one string). */
class ChunkedFile {
  private readonly ws: WriteStream;
  private buf: string;
  private bytes = 0;

  constructor(out: string, first: string) {
    this.ws = createWriteStream(out, { highWaterMark: 4 << 20 });
    this.buf = first;
  }

  /** Gathers a line; true when a chunk is full (then `flush`). */
  add(line: string): boolean {
    this.buf += line;
    return this.buf.length > 1 << 20;
  }

  /** Writes the chunk, waiting while the stream is full. */
  async flush(): Promise<void> {
    this.bytes += Buffer.byteLength(this.buf);
    if (!this.ws.write(this.buf)) await once(this.ws, 'drain');
    this.buf = '';
  }

  /** Writes the rest and closes the file; returns the bytes written in all. */
  async end(): Promise<number> {
    this.bytes += Buffer.byteLength(this.buf);
    this.ws.end(this.buf);
    await once(this.ws, 'finish');
    return this.bytes;
  }
}

/** Writes the header and `opts.rows` rows to `out`, in chunks, reporting the rows written after each; returns what it wrote. */
export async function generate(out: string, opts: GenerateOptions, onProgress?: (rows: number) => void): Promise<GenerateStats> {
  const spec = opts.spec ?? readSpec(DEFAULT_DATASET);
  const profile = opts.profile === false ? undefined : PROFILES[spec.name];
  const eol = opts.crlf ? '\r\n' : '\n';
  const stats: GenerateStats = { rows: opts.rows, bad: 0, duplicates: 0, bytes: 0, rejects: {}, oddities: 0, odditiesByColumn: {} };
  const rows = new RowMaker(spec, profile, opts, stats);
  const file = new ChunkedFile(out, headerLine(spec, profile, opts.kaggle ? spec.knownExtras : []) + eol);
  for (let i = 0; i < opts.rows; i++) {
    if (!file.add(rows.line(i) + eol)) continue;
    await file.flush();
    onProgress?.(i + 1);
  }
  stats.bytes = await file.end();
  onProgress?.(opts.rows);
  return stats;
}
