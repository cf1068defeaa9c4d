// The dataset spec: what a user writes (YAML or JSON, validated by
// core/spec/dataset-spec.schema.json) and what every engine reads (the resolved form:
// every default filled in, every bound a decimal string). One resolved spec drives the
// table's DDL and migrations, the inline engine (reference and fast path), the Spark job
// (it receives the resolved spec as JSON), the generator, verify and the reconciler.

export const SPEC_FORMAT_VERSION = 1;

export type ColumnType = 'string' | 'integer' | 'decimal' | 'boolean' | 'date' | 'time' | 'datetime' | 'enum' | 'pattern';

/**
 * What happens to repeated keys. `first`: the first occurrence in source order wins (later
 * ones are counted as duplicates). `last`: the last occurrence wins (an upsert ordered by
 * source position, so a replayed or repaired earlier batch never overwrites a later row).
 * `keep`: a dataset without a key keeps every row as the source has it; batches are still
 * exactly-once through the ledger.
 */
export type DuplicatePolicy = 'first' | 'last' | 'keep';

/** Unknown extra header columns: ignored (and reported) or the object is refused (`bad_header`). */
type ExtraColumnsPolicy = 'ignore' | 'reject';

interface ColumnCommon {
  /** SQL column name: [a-z_][a-z0-9_]{0,63}, not starting with `_pw_` (pipewarden's own). */
  name: string;
  /** The header naming it in source files (matched trimmed, whitespace collapsed, case-insensitive, BOM removed). */
  header: string;
  /** Other headers that name the same column in other exports. */
  aliases: string[];
  /**
   * A required column must be in the header (else the object is `bad_header`) and every
   * row must hold a valid value (else the row is rejected: `missing_value` / `invalid_value`,
   * or `missing_key` / `invalid_key` for key columns, which are always required).
   * An optional column may be absent from a file (NULL, reported); an invalid value
   * becomes NULL and is counted as an oddity of that column.
   */
  required: boolean;
  /** Part of the key (derived from the spec's `key`). */
  key: boolean;
  /**
   * Spellings that mean NULL in this column (the column's own `nullValues`, else the
   * dataset's; [] = none): a trimmed value equal to one of them (case-sensitively) is
   * read exactly like an empty value — NULL, never an oddity; `missing_key` /
   * `missing_value` in a key / required column. Never empty strings, never with outer
   * whitespace (values are compared trimmed).
   */
  nullValues: string[];
}

/** Text, trimmed; longer than maxLength characters (UTF-16 units, as JavaScript counts) is invalid. */
export interface StringColumn extends ColumnCommon {
  type: 'string';
  minLength: number;
  maxLength: number;
}

/** Optional sign, then ASCII digits; leading zeros dropped; within [min, max] (decimal strings: bounds may exceed 2^53). */
export interface IntegerColumn extends ColumnCommon {
  type: 'integer';
  min: string;
  max: string;
}

/**
 * Optional sign, digits, optional `.` and digits (at least one digit in all). At most
 * precision − scale integer digits and at most `scale` fraction digits (more is invalid,
 * never rounded); written with exactly `scale` fraction digits. Bounds are decimal strings.
 */
export interface DecimalColumn extends ColumnCommon {
  type: 'decimal';
  precision: number;
  scale: number;
  min?: string;
  max?: string;
}

/** One of the accepted spellings (compared lower-case); written 1 or 0. */
export interface BooleanColumn extends ColumnCommon {
  type: 'boolean';
  trueValues: string[];
  falseValues: string[];
}

/**
 * Date and time formats are token strings, tried in order: YYYY (4 digits), MM / DD / HH /
 * hh / mm / ss (2 digits), M / D / H / h (1 or 2 digits), A (an AM/PM marker: A, P, AM or
 * PM, any case; with hh or h, a 12-hour clock where 12 A and 00 A are midnight), and any
 * other character literally. See core/src/dataset/formats.ts.
 */
export interface DateColumn extends ColumnCommon {
  type: 'date';
  formats: string[];
  /** Inclusive window, YYYY-MM-DD: a date outside it is invalid. */
  min: string;
  max: string;
}

/** Written HH:MM:SS. */
export interface TimeColumn extends ColumnCommon {
  type: 'time';
  formats: string[];
}

/** Written YYYY-MM-DD HH:MM:SS (MySQL DATETIME, no time zone: the source's wall clock). */
export interface DatetimeColumn extends ColumnCommon {
  type: 'datetime';
  formats: string[];
  /** Inclusive window, YYYY-MM-DD HH:MM:SS. */
  min: string;
  max: string;
}

/** One of `values`; with caseSensitive false any case matches and the spec's spelling is written. */
export interface EnumColumn extends ColumnCommon {
  type: 'enum';
  values: string[];
  caseSensitive: boolean;
}

/**
 * The whole (trimmed) value must match `pattern` (JavaScript with the `u` flag, Python with
 * re.ASCII: write explicit classes such as [A-Za-z]); then `case` is applied.
 * minLength = maxLength makes a CHAR column.
 */
export interface PatternColumn extends ColumnCommon {
  type: 'pattern';
  pattern: string;
  case: 'keep' | 'upper' | 'lower';
  minLength: number;
  maxLength: number;
}

export type ResolvedColumn = StringColumn | IntegerColumn | DecimalColumn | BooleanColumn | DateColumn | TimeColumn | DatetimeColumn | EnumColumn | PatternColumn;

/** A spec with every default filled in: the contract every engine reads. */
export interface ResolvedSpec {
  specVersion: typeof SPEC_FORMAT_VERSION;
  /** Dataset name: [a-z0-9][a-z0-9_-]{0,62}. */
  name: string;
  description?: string;
  /** Target table: [a-z_][a-z0-9_]{0,63}, not one of pipewarden's own tables. */
  table: string;
  /** Key column names, in key order; empty = no key (duplicates `keep`). */
  key: string[];
  duplicates: DuplicatePolicy;
  extraColumns: ExtraColumnsPolicy;
  /** Headers expected in some exports that are not columns: ignored without a report. */
  knownExtras: string[];
  /** Secondary indexes, each a list of column names. */
  indexes: string[][];
  columns: ResolvedColumn[];
  /** Where the spec was read from (a path, or builtin:NAME); not part of its identity. */
  origin: string;
}

/** Why a record is not loaded (dead letters carry it). */
export type RejectReason = 'missing_key' | 'invalid_key' | 'missing_value' | 'invalid_value' | 'column_count' | 'csv_error' | 'invalid_utf8' | 'bad_header';

/** @public `pipewarden spec check` prints it, through the CLI's lazy require (cli/src/lazy.ts), which knip does not follow. */
export const REJECT_REASON_TEXT: Record<RejectReason, string> = {
  missing_key: 'a key column is empty',
  invalid_key: 'a key column holds no valid value',
  missing_value: 'a required column is empty',
  invalid_value: 'a required column holds no valid value',
  column_count: "the record's field count differs from the header's (fields would be misaligned)",
  csv_error: 'the CSV parser could not read the record (for example an unbalanced quote)',
  invalid_utf8: 'the record is not valid UTF-8',
  bad_header: "the object's header does not name the required columns (or names a refused extra one), so none of its records can be mapped",
};

/** Every reject reason (the exporter publishes a series for each, zero until one happens). */
export const REJECT_REASONS = Object.keys(REJECT_REASON_TEXT) as RejectReason[];
