// A Parquet object opened for reading: its footer (schema, row groups) read with two ranged
// reads from its end, and a ranged fetch for the column chunks. A damaged footer is a
// UserError naming the object before any row is read.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { UserError } from '@pipewarden/core';
import { parquetMetadata, parquetSchema, type Compressors, type FileMetaData, type ParquetParsers } from 'hyparquet';
import { compressors as bundled } from 'hyparquet-compressors';
import { DEFAULT_PARSERS, getTreePath } from './hyparquet-internals';
import type { ColumnDecoder } from 'hyparquet/src/types.js';
import type { Source, SourceObject } from '../../source/types';
import { ColumnPages, type Fetch } from './pages';
import { parquetColumns, type ParquetColumn } from './schema';

const MAGIC = 'PAR1';

// Node's zlib for gzip and brotli pages (native, faster than the JavaScript ports); snappy,
// zstd and lz4 from hyparquet-compressors.
const compressors: Compressors = {
  ...bundled,
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
};

// Values reach ./render.ts undecorated (INT96 ones as their bytes: see pages()).
const parsers: ParquetParsers = DEFAULT_PARSERS;

export class ParquetFile {
  private constructor(
    readonly object: SourceObject,
    readonly metadata: FileMetaData,
    readonly columns: ParquetColumn[],
    private readonly fetch: Fetch,
  ) {}

  /** Read the object's footer; `onBytes` counts every byte fetched. */
  static async open(source: Source, object: SourceObject, signal: AbortSignal, onBytes: (n: number) => void): Promise<ParquetFile> {
    const fetch: Fetch = async (start, end) => {
      const chunks: Buffer[] = [];
      for await (const c of source.open(object, start, signal, end)) chunks.push(c as Buffer);
      const b = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      onBytes(b.length);
      if (b.length !== end - start) throw new UserError(`${object.key}: reading bytes ${start}–${end} gave ${b.length}`, 'the object is shorter than listed: was it replaced? load it again');
      return b;
    };
    const damaged = (why: string) => new UserError(`${object.key}: not a readable Parquet file: ${why}`, 'the rows of earlier objects stay loaded; replace this object with an intact copy and load again');
    if (object.size < 12) throw damaged(`${object.size} bytes is shorter than a Parquet file's magic and footer`);
    const tail = await fetch(object.size - 8, object.size);
    if (tail.toString('latin1', 4) !== MAGIC) throw damaged(`it does not end in "${MAGIC}" (the file is cut short, or its footer is damaged)`);
    const length = tail.readUInt32LE(0);
    if (length + 12 > object.size) throw damaged(`its footer claims ${length} bytes, more than the file holds`);
    const footer = await fetch(object.size - 8 - length, object.size);
    let metadata: FileMetaData;
    try {
      metadata = parquetMetadata(footer, { parsers });
    } catch (e) {
      throw damaged(`its footer cannot be decoded (${(e as Error).message})`);
    }
    const rows = metadata.row_groups.reduce((n, g) => n + Number(g.num_rows), 0);
    if (rows !== Number(metadata.num_rows)) throw damaged(`its row groups hold ${rows} rows, its footer says ${metadata.num_rows}`);
    return new ParquetFile(object, metadata, parquetColumns(object.key, metadata), fetch);
  }

  get rows(): number {
    return Number(this.metadata.num_rows);
  }

  /** Row groups as [first row (0-based), rows]. */
  get rowGroups(): [number, number][] {
    let at = 0;
    return this.metadata.row_groups.map((g) => {
      const r: [number, number] = [at, Number(g.num_rows)];
      at += r[1];
      return r;
    });
  }

  /** A page reader of column `c` in row group `g`. */
  pages(g: number, c: ParquetColumn): ColumnPages {
    const chunk = this.metadata.row_groups[g].columns[c.index];
    if (!chunk) throw new UserError(`${this.object.key}: row group ${g} has no column "${c.name}" (its footer lists ${this.metadata.row_groups[g].columns.length} columns)`, 'the footer is damaged; replace the object with an intact copy');
    const meta = chunk.meta_data;
    if (!meta || chunk.file_path) throw new UserError(`${this.object.key}: column "${c.name}" of row group ${g} lies in another file (${chunk.file_path ?? 'no metadata'})`, 'pipewarden reads self-contained Parquet files');
    // Some writers store 0 for "no dictionary page" (hyparquet reads it so too).
    const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
    const end = start + Number(meta.total_compressed_size);
    if (start < 4 || end > this.object.size) throw new UserError(`${this.object.key}: column "${c.name}" of row group ${g} lies outside the file (bytes ${start}–${end} of ${this.object.size})`, 'the footer is damaged; replace the object with an intact copy');
    let schemaPath;
    try {
      schemaPath = getTreePath(parquetSchema(this.metadata), meta.path_in_schema);
    } catch (e) {
      throw new UserError(`${this.object.key}: column "${c.name}" of row group ${g} is not in the schema (${(e as Error).message})`, 'the footer is damaged; replace the object with an intact copy');
    }
    // INT96 values are read as their 12 bytes: hyparquet joins the two halves as if the
    // nanoseconds of the day were never negative, and Arrow writes a time before 1970 with
    // negative ones (./render.ts int96Nanos reads them as Spark does).
    const int96 = meta.type === 'INT96';
    const decoder: ColumnDecoder = {
      pathInSchema: meta.path_in_schema,
      type: int96 ? 'FIXED_LEN_BYTE_ARRAY' : meta.type,
      // No logical conversion in hyparquet: ./render.ts converts exactly (decimals, timestamps, UTF-8 checks).
      element: { ...c.element, converted_type: undefined, logical_type: undefined, ...(int96 ? { type: 'FIXED_LEN_BYTE_ARRAY' as const, type_length: 12 } : {}) },
      schemaPath,
      codec: meta.codec,
      parsers,
      compressors,
      utf8: false,
    };
    return new ColumnPages(this.fetch, start, end, decoder, `${this.object.key}: row group ${g}, column "${c.name}"`);
  }
}
