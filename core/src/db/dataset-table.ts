// The dataset's table against its spec: what `migrate` must create or alter, and what it
// refuses. Reading the table (information_schema) is apart from the decision, a pure
// function tested without a server (core/test/dataset-table.test.ts). Every statement is
// built from the validated spec's names and from numbers (lengths, ranges, precisions),
// never from text the server returned.
import type { Pool, PoolConnection, Connection, RowDataPacket } from 'mysql2/promise';
import type { ResolvedColumn, ResolvedSpec } from '../dataset/types';
import { INTEGER_TYPES, POSITION_COLUMN, POSITION_DDL, columnDefinition, columnSqlType, datasetDdl, ident, indexName, integerType, isText, textLength, textSqlType } from './schema';

type Queryable = Pick<Pool | PoolConnection | Connection, 'query'>;

/** A column's type reduced to what decides whether a value fits. */
export type Shape =
  | { kind: 'text'; length: number; fixed: boolean }
  | { kind: 'int'; min: bigint; max: bigint; bool: boolean }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'date' | 'time' | 'datetime' | 'binary' | 'other'; type: string };

interface TableColumn {
  name: string;
  shape: Shape;
  /** COLUMN_TYPE as the server shows it (reports only, never put into SQL). */
  columnType: string;
  nullable: boolean;
  hasDefault: boolean;
  collation: string | null;
}

export interface TableShape {
  columns: TableColumn[];
  primaryKey: string[];
  /** index name → its columns in order (PRIMARY excluded). */
  indexes: Map<string, string[]>;
}

const INT_RANGES: Record<string, [bigint, bigint, bigint]> = {
  // signed min, signed max, unsigned max
  tinyint: [-128n, 127n, 255n],
  smallint: [-32768n, 32767n, 65535n],
  mediumint: [-8388608n, 8388607n, 16777215n],
  int: [-2147483648n, 2147483647n, 4294967295n],
  bigint: [-9223372036854775808n, 9223372036854775807n, 18446744073709551615n],
};

/** The shape of a column from information_schema.columns. */
export function shapeOfServer(dataType: string, columnType: string, charMax: number | null, precision: number | null, scale: number | null): Shape {
  const t = dataType.toLowerCase();
  if ((t === 'varchar' || t === 'char') && charMax !== null) return { kind: 'text', length: charMax, fixed: t === 'char' };
  if (t in INT_RANGES) {
    const [smin, smax, umax] = INT_RANGES[t];
    const unsigned = /unsigned/i.test(columnType);
    return { kind: 'int', min: unsigned ? 0n : smin, max: unsigned ? umax : smax, bool: /^tinyint\(1\)/i.test(columnType) };
  }
  if (t === 'decimal' && precision !== null && scale !== null) return { kind: 'decimal', precision, scale };
  if (t === 'date' || t === 'time' || t === 'datetime') return { kind: t, type: t };
  if (t === 'varbinary') return { kind: 'binary', type: t };
  return { kind: 'other', type: t };
}

/** The shape a spec column asks for. */
function shapeOfSpec(c: ResolvedColumn): Shape {
  switch (c.type) {
    case 'string':
    case 'pattern':
    case 'enum':
      return { kind: 'text', ...textLength(c)! };
    case 'integer': {
      const t = INTEGER_TYPES.find((x) => x.sql === columnSqlType(c))!;
      return { kind: 'int', min: t.min, max: t.max, bool: false };
    }
    case 'decimal':
      return { kind: 'decimal', precision: c.precision, scale: c.scale };
    case 'boolean':
      return { kind: 'int', min: -128n, max: 127n, bool: true };
    case 'date':
    case 'time':
    case 'datetime':
      return { kind: c.type, type: c.type };
  }
}

/** SQL for a shape that only widening produced (text, integers, decimals). */
function shapeSql(s: Shape): string {
  if (s.kind === 'text') return textSqlType(s);
  if (s.kind === 'int') return integerType(s.min, s.max);
  if (s.kind === 'decimal') return `DECIMAL(${s.precision},${s.scale})`;
  throw new Error(`no SQL for ${s.kind}`);
}

/** A shape in words, for refusals. */
function describe(s: Shape): string {
  if (s.kind === 'int') return s.bool ? 'TINYINT(1)' : `an integer in ${s.min}…${s.max}`;
  if (s.kind === 'text' || s.kind === 'decimal') return shapeSql(s);
  return s.type.toUpperCase();
}

/**
 * How an existing column's shape must change to hold every value the spec allows:
 * 'same' (it already does), a wider shape (never losing a stored value), or why not.
 */
export function widen(have: Shape, want: Shape): 'same' | { to: Shape } | { refuse: string } {
  if (have.kind === 'text' && want.kind === 'text') {
    if (have.length >= want.length) return 'same';
    // VARCHAR keeps CHAR's values (InnoDB strips CHAR's trailing pad either way).
    return { to: { kind: 'text', length: want.length, fixed: have.fixed && want.fixed } };
  }
  if (have.kind === 'int' && want.kind === 'int') {
    if (want.bool) return 'same'; // 0 and 1 fit any integer column
    if (have.min <= want.min && want.max <= have.max) return 'same';
    return { to: { kind: 'int', min: have.min < want.min ? have.min : want.min, max: have.max > want.max ? have.max : want.max, bool: false } };
  }
  if (have.kind === 'decimal' && want.kind === 'decimal') {
    const intDigits = Math.max(have.precision - have.scale, want.precision - want.scale);
    const scale = Math.max(have.scale, want.scale);
    if (intDigits + scale === have.precision && scale === have.scale) return 'same';
    if (intDigits + scale > 65 || scale > 30) return { refuse: `DECIMAL(${intDigits + scale},${scale}) would be needed to hold both the stored and the new values, wider than MySQL allows (65 digits, scale 30)` };
    return { to: { kind: 'decimal', precision: intDigits + scale, scale } };
  }
  if ((have.kind === 'date' || have.kind === 'time' || have.kind === 'datetime') && have.kind === want.kind) return 'same';
  return { refuse: `the table has ${describe(have)}, the spec asks for ${describe(want)}: a type change that could lose data` };
}

interface PlannedChange {
  sql: string;
  /** What it does, for the report. */
  what: string;
  /** ADD COLUMN: try ALGORITHM=INSTANT first. */
  instant?: boolean;
  /** ADD KEY of a spec index the table lacks (a load that defers its indexes builds these itself). */
  index?: boolean;
}

export interface TablePlan {
  table: string;
  create: boolean;
  changes: PlannedChange[];
  /** Left alone and reported (columns the spec no longer has). */
  notes: string[];
  /** Changes refused, each naming the column and the reason; non-empty = nothing is done. */
  refusals: string[];
}

/** What to do so that the table (or its absence: null) matches the spec. */
export function planTable(spec: ResolvedSpec, table: TableShape | null): TablePlan {
  const t = ident(spec.table);
  const plan: TablePlan = { table: spec.table, create: table === null, changes: [], notes: [], refusals: [] };
  if (!table) {
    plan.changes.push({ sql: datasetDdl(spec), what: `create table ${spec.table}` });
    return plan;
  }
  const have = new Map(table.columns.map((c) => [c.name, c]));
  if (table.primaryKey.join(',') !== spec.key.join(',')) {
    const k = (ks: string[]) => (ks.length ? `(${ks.join(', ')})` : 'none');
    plan.refusals.push(`key: the table's primary key is ${k(table.primaryKey)}, the spec's key is ${k(spec.key)}; a key change is never made in place (rows may collide under the new key): load into a new table`);
  }
  for (const c of spec.columns) {
    const existing = have.get(c.name);
    const notNull = c.key || c.required;
    if (!existing) {
      if (notNull) plan.refusals.push(`column ${c.name}: the spec adds it as required, but existing rows have no value for it; make it optional (it is added NULL-able) or load into a new table`);
      else plan.changes.push({ sql: `ALTER TABLE ${t} ADD COLUMN ${columnDefinition(c, { nullable: true })}`, what: `add column ${c.name} ${columnSqlType(c)} NULL`, instant: true });
      continue;
    }
    if (existing.nullable && notNull) {
      plan.refusals.push(`column ${c.name}: the spec makes it required, but the table allows NULL in it; NOT NULL is never added to an existing column (stored rows may hold NULL): make it optional in the spec`);
      continue;
    }
    if (c.key && isText(c) && existing.collation !== 'utf8mb4_bin') {
      plan.refusals.push(`column ${c.name}: a key column must compare byte for byte (utf8mb4_bin), the table's is ${existing.collation}; changing it is a key change (keys equal under one collation differ under the other)`);
      continue;
    }
    const w = widen(existing.shape, shapeOfSpec(c));
    if (typeof w === 'object' && 'refuse' in w) {
      plan.refusals.push(`column ${c.name}: ${w.refuse}`);
      continue;
    }
    const relax = !existing.nullable && !notNull;
    if (w === 'same' && widen(shapeOfSpec(c), existing.shape) !== 'same') plan.notes.push(`column ${c.name} stays ${existing.columnType}, wider than the spec asks (${columnSqlType(c)}): a column is never narrowed`);
    if (w === 'same' && !relax) continue;
    const shape = w === 'same' ? existing.shape : w.to;
    if (shape.kind !== 'text' && shape.kind !== 'int' && shape.kind !== 'decimal') {
      // Only NOT NULL → NULL on a date/time column: restate its type from the spec (the same kind).
      plan.changes.push({ sql: `ALTER TABLE ${t} MODIFY COLUMN ${columnDefinition(c, { nullable: true })}`, what: `column ${c.name} allows NULL (the spec made it optional)` });
      continue;
    }
    const sqlType = existing.shape.kind === 'int' && existing.shape.bool && w === 'same' ? 'TINYINT(1)' : shapeSql(shape);
    const collate = c.key && shape.kind === 'text' ? ' COLLATE utf8mb4_bin' : '';
    const parts = [w !== 'same' ? `${existing.columnType} → ${sqlType}` : '', relax ? 'allows NULL (the spec made it optional)' : ''].filter(Boolean);
    plan.changes.push({ sql: `ALTER TABLE ${t} MODIFY COLUMN ${ident(c.name)} ${sqlType}${collate} ${notNull ? 'NOT NULL' : 'NULL'}`, what: `column ${c.name}: ${parts.join(', ')}` });
  }
  const specNames = new Set(spec.columns.map((c) => c.name));
  for (const c of table.columns) {
    if (specNames.has(c.name) || c.name === POSITION_COLUMN) continue;
    if (!c.nullable && !c.hasDefault) plan.refusals.push(`column ${c.name}: the spec no longer has it and it is NOT NULL without a default, so the rows pipewarden writes could not go in; columns are never dropped: drop it yourself or make it NULL-able`);
    else plan.notes.push(`column ${c.name} is not in the spec: left alone (never dropped), it gets NULL or its default in new rows`);
  }
  if (spec.duplicates === 'last' && spec.key.length > 0 && !have.has(POSITION_COLUMN)) {
    plan.changes.push({ sql: `ALTER TABLE ${t} ADD COLUMN ${ident(POSITION_COLUMN)} ${POSITION_DDL}`, what: `add column ${POSITION_COLUMN} (source position of each row under the duplicate policy last; existing rows count as older than any row loaded from now on)`, instant: true });
  }
  const ix = indexPlan(spec, table);
  plan.refusals.push(...ix.refusals);
  for (const m of ix.missing) plan.changes.push({ sql: `ALTER TABLE ${t} ADD ${m.clause}`, what: `add index ${m.name} (${m.columns.join(', ')})`, index: true });
  return plan;
}

/** A secondary index of the spec, as the table names it (by its columns) or as pipewarden would. */
export interface SpecIndex {
  name: string;
  columns: readonly string[];
  /** `KEY name (cols)` under pipewarden's name for it: an ALTER TABLE's ADD clause. */
  clause: string;
  /** The index has pipewarden's name (or is missing): pipewarden may drop and rebuild it. */
  own: boolean;
}

/**
 * The spec's secondary indexes against the table's, matched by their columns (a user may have
 * named one otherwise): those the table has, those it lacks, and names the table uses for
 * other columns (refused: pipewarden never replaces a user's index).
 */
export function indexPlan(spec: ResolvedSpec, table: TableShape): { present: SpecIndex[]; missing: SpecIndex[]; refusals: string[] } {
  const out = { present: [] as SpecIndex[], missing: [] as SpecIndex[], refusals: [] as string[] };
  const byColumns = new Map([...table.indexes].map(([name, cols]) => [cols.join(','), name]));
  for (const cols of spec.indexes) {
    const existing = byColumns.get(cols.join(','));
    const name = indexName(cols);
    // The server's name of a present index is reported, never put into SQL.
    const ix = { name: existing ?? name, columns: cols, clause: `KEY ${ident(name)} (${cols.map(ident).join(', ')})`, own: existing === undefined || existing === name };
    if (existing !== undefined) {
      out.present.push(ix);
    } else if (table.indexes.has(name)) {
      out.refusals.push(`index ${name}: the table has an index of that name on (${table.indexes.get(name)!.join(', ')}), the spec wants it on (${cols.join(', ')})`);
    } else {
      out.missing.push(ix);
    }
  }
  return out;
}

/**
 * The table as information_schema describes it, or null when the database has no such table.
 *
 * Read under a shared metadata lock on the table (a transaction that has touched it), so that
 * no ALTER can finish in between. Without it, MariaDB's information_schema silently leaves out
 * a table whose definition a concurrent ALTER is changing when the reading session already
 * holds a metadata lock (migrate holds its GET_LOCK, which is one): three loaders starting
 * together read the table with no primary key while another dropped the deferred indexes, and
 * refused the load (measured: 2,232 of 2,790 reads torn under DROP/ADD INDEX in a loop).
 */
export async function readTable(db: Pool | Connection | PoolConnection, table: string): Promise<TableShape | null> {
  const conn = 'getConnection' in db ? await db.getConnection() : db;
  try {
    await conn.query('START TRANSACTION');
    try {
      await conn.query(`SELECT 1 FROM ${ident(table)} LIMIT 0`);
    } catch (e) {
      if ((e as { errno?: number }).errno === 1146) return null; // ER_NO_SUCH_TABLE
      throw e;
    }
    return await readShape(conn, table);
  } finally {
    await conn.query('COMMIT').catch(() => undefined);
    if ('getConnection' in db) (conn as PoolConnection).release();
  }
}

async function readShape(conn: Queryable, table: string): Promise<TableShape | null> {
  const [cols] = await conn.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dt, COLUMN_TYPE AS ct, CHARACTER_MAXIMUM_LENGTH AS cm, NUMERIC_PRECISION AS np, NUMERIC_SCALE AS ns, IS_NULLABLE AS nl, COLUMN_DEFAULT AS df, COLLATION_NAME AS co
       FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  if (cols.length === 0) return null;
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const columns: TableColumn[] = cols.map((r) => ({
    name: String(r.name),
    shape: shapeOfServer(String(r.dt), String(r.ct), num(r.cm), num(r.np), num(r.ns)),
    columnType: String(r.ct),
    nullable: r.nl === 'YES',
    // MariaDB shows a NULL-able column's missing default as the text 'NULL'.
    hasDefault: r.df !== null && r.df !== undefined,
    collation: r.co === null || r.co === undefined ? null : String(r.co),
  }));
  const [stats] = await conn.query<RowDataPacket[]>(
    'SELECT INDEX_NAME AS ix, COLUMN_NAME AS col FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX',
    [table],
  );
  const indexes = new Map<string, string[]>();
  let primaryKey: string[] = [];
  for (const s of stats) {
    const ix = String(s.ix);
    if (ix === 'PRIMARY') primaryKey = [...primaryKey, String(s.col)];
    else indexes.set(ix, [...(indexes.get(ix) ?? []), String(s.col)]);
  }
  return { columns, primaryKey, indexes };
}

/** MariaDB ≥ 10.3 and MySQL ≥ 8.0.29 add a column with ALGORITHM=INSTANT (no table copy, no rebuild). */
export function supportsInstantAdd(version: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [maj, min, patch] = m.slice(1).map(Number);
  if (/mariadb/i.test(version)) return maj > 10 || (maj === 10 && min >= 3);
  return maj > 8 || (maj === 8 && (min > 0 || patch >= 29));
}
