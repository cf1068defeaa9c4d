// One column chunk of one row group, read page by page: only the compressed bytes of the
// pages in use are held (a window fetched by ranged reads), and one decoded page. Reading a
// whole row group at once would cost its decoded size — hundreds of MB for the million-row
// groups Spark and pyarrow write — where a page is about 1 MB of bytes. hyparquet decodes the
// pages (headers, dictionaries, every encoding and codec) except dictionary-encoded data
// pages, which hold any number of rows, and PLAIN byte-array pages, whose values would each
// be a view object: both are read value by value (./dictionary-page.ts). Other pages are
// decoded whole: plain ones hold at most a value per few bytes, but an RLE boolean page or a
// mostly-NULL page can still hold many rows (a few arrays of them).
import { convert, getMaxDefinitionLevel, parquetHeader, readPage } from './hyparquet-internals';
import { UserError } from '@pipewarden/core';
import { ByteDictionary, DictionaryPage, PlainBytesPage } from './dictionary-page';
import type { ColumnDecoder, DecodedArray, PageHeader } from 'hyparquet/src/types.js';

/** Bytes `[start, end)` of the object. */
export type Fetch = (start: number, end: number) => Promise<Buffer>;

/** Bytes fetched at a time: a page header is parsed from them, a page's data may need more. */
const WINDOW = 1 << 20;

export class ColumnPages {
  private buf: Buffer = Buffer.alloc(0);
  /** Object offset of buf[0]. */
  private bufStart: number;
  /** Object offset of the next page header. */
  private pos: number;
  private dictionary: DecodedArray | undefined;
  /** The chunk's dictionary of byte arrays (then dictionary-encoded values are indices into it). */
  private bytes: ByteDictionary | undefined;
  /** The current page: decoded whole (pages not dictionary-encoded), or read lazily (dictionary pages). */
  private page: DecodedArray = [];
  private pageAt = 0;
  private lazy: DictionaryPage | PlainBytesPage | undefined;
  /** Definition level of a present value (0: a required column). */
  private readonly maxDef: number;

  constructor(
    private readonly fetch: Fetch,
    start: number,
    /** The chunk's end: no page lies beyond it. */
    private readonly end: number,
    private readonly decoder: ColumnDecoder,
    /** What errors name: the object, the row group and the column. */
    private readonly where: string,
  ) {
    this.bufStart = start;
    this.pos = start;
    this.maxDef = getMaxDefinitionLevel(decoder.schemaPath);
  }

  /** Make bytes [pos, pos + n) available (fewer only at the chunk's end). */
  private async have(n: number): Promise<void> {
    const want = Math.min(this.end, this.pos + n);
    if (this.pos >= this.bufStart && want <= this.bufStart + this.buf.length) return;
    const keep = this.pos >= this.bufStart ? this.buf.subarray(this.pos - this.bufStart) : Buffer.alloc(0);
    const from = this.pos + keep.length;
    const more = await this.fetch(from, Math.min(this.end, Math.max(want, from + WINDOW)));
    this.buf = keep.length ? Buffer.concat([keep, more]) : more;
    this.bufStart = this.pos;
  }

  private reader(): { view: DataView; offset: number } {
    return { view: new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length), offset: this.pos - this.bufStart };
  }

  /** The next page header; its bytes (and the page's) are then in the window. */
  private async header(): Promise<PageHeader> {
    for (let n = 256; ; n *= 4) {
      await this.have(n);
      const r = this.reader();
      try {
        const h = parquetHeader(r);
        this.pos = this.bufStart + r.offset;
        return h;
      } catch (e) {
        // A header longer than the bytes at hand (statistics can be long): fetch more.
        if (this.pos + n >= this.end) throw this.damaged(e);
      }
    }
  }

  /**
   * A page's bytes for hyparquet's readers. An uncompressed page would be read in place, in
   * the window: it is copied, so a page that claims more values than its bytes hold fails
   * instead of reading the next page's bytes (hyparquet's fixed-length reader bounds itself
   * by the buffer, not the view: found in review with a damaged INT96 page).
   */
  private ownBytes(stored: Uint8Array): Uint8Array {
    return this.decoder.codec === 'UNCOMPRESSED' ? new Uint8Array(stored) : stored;
  }

  /** A decoding step: its failure means a damaged page (a read's failure, a stop or a changed object, is left as it is). */
  private decode<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw this.damaged(e);
    }
  }

  /** A page that does not decode is a damaged file (or one this reader cannot read): say where. */
  private damaged(e: unknown): Error {
    if (e instanceof UserError) return e;
    return new UserError(`${this.where}: ${(e as Error).message}`, 'the rows before this row group are loaded; replace the object with an intact copy and load again');
  }

  /**
   * Move to the next data page (a dictionary page on the way is kept), or pass over it whole
   * when `skip` covers it: returns the rows passed over (0 when a page is now current).
   */
  private async nextPage(skip: number): Promise<number> {
    for (;;) {
      if (this.pos >= this.end) throw this.damaged(new Error("its chunk ended before the row group's last row"));
      const h = await this.header();
      await this.have(h.compressed_page_size);
      const at = this.pos - this.bufStart;
      const stored = this.buf.subarray(at, at + h.compressed_page_size);
      this.pos += h.compressed_page_size;
      if (h.type === 'DICTIONARY_PAGE') {
        if (this.decoder.type === 'BYTE_ARRAY') this.bytes = this.decode(() => ByteDictionary.of(stored, h, this.decoder));
        else {
          // Converted as a data page's values are (with the logical types cleared, they stay as stored).
          const own = this.ownBytes(stored);
          const raw = this.decode(() => readPage({ view: new DataView(own.buffer, own.byteOffset, own.length), offset: 0 }, h, this.decoder, undefined, undefined, 0).data);
          this.dictionary = raw && this.decode(() => convert(raw, this.decoder));
        }
        continue;
      }
      const rows = h.data_page_header?.num_values ?? h.data_page_header_v2?.num_rows;
      if (rows === undefined) continue; // an index page: nothing to read
      if (skip >= rows) return rows;
      const encoding = h.data_page_header?.encoding ?? h.data_page_header_v2?.encoding;
      const dictionary = this.bytes ?? this.dictionary;
      if (encoding?.endsWith('_DICTIONARY') && !dictionary) throw this.damaged(new Error('a dictionary-encoded page comes without a dictionary page'));
      if (dictionary && encoding?.endsWith('_DICTIONARY')) {
        this.lazy = this.decode(() => new DictionaryPage(stored, h, this.decoder, this.maxDef, dictionary));
        this.page = [];
      } else if (encoding === 'PLAIN' && this.decoder.type === 'BYTE_ARRAY') {
        this.lazy = this.decode(() => new PlainBytesPage(stored, h, this.decoder, this.maxDef));
        this.page = [];
      } else {
        this.lazy = undefined;
        const own = this.ownBytes(stored);
        this.page = this.decode(() => readPage({ view: new DataView(own.buffer, own.byteOffset, own.length), offset: 0 }, h, this.decoder, this.dictionary, undefined, 0).data ?? []);
      }
      this.pageAt = 0;
      return 0;
    }
  }

  /** Values of the current page not yet read. */
  private get left(): number {
    return this.lazy ? this.lazy.left : this.page.length - this.pageAt;
  }

  /** Pass over `n` rows without rendering them (a resume inside a row group). */
  async skip(n: number): Promise<void> {
    while (n > 0) {
      const left = this.left;
      if (left === 0) {
        n -= await this.nextPage(n);
        continue;
      }
      const k = Math.min(left, n);
      if (this.lazy) this.pass(this.lazy, k);
      else this.pageAt += k;
      n -= k;
    }
  }

  /**
   * Values left in the current page, moving to the next page when none are (only while the
   * row group has rows left). A take stays within a page: byte values are indices into
   * `valueBytes`, which a PLAIN page has of its own.
   */
  async available(): Promise<number> {
    while (this.left === 0) await this.nextPage(0);
    return this.left;
  }

  /** The byte arrays the BYTE_ARRAY values just taken index: the page's own (PLAIN), else the chunk's dictionary. */
  get valueBytes(): ByteDictionary | undefined {
    return this.lazy instanceof PlainBytesPage ? this.lazy.bytes : this.bytes;
  }

  /** The next `n` values (n ≤ available()) into `out[0…n)`: NULL is undefined or null; a number in a BYTE_ARRAY column indexes `valueBytes`. */
  take(n: number, out: unknown[]): void {
    if (n > this.left) throw new Error(`take(${n}) past the page's ${this.left} values`);
    if (this.lazy) this.read(this.lazy, n, out, 0);
    else {
      for (let j = 0; j < n; j++) out[j] = this.page[this.pageAt + j];
      this.pageAt += n;
    }
  }

  /** The next `n` values, across pages, byte arrays as views of their bytes (a sample's few rows). */
  async takeValues(n: number, out: unknown[]): Promise<void> {
    const part: unknown[] = [];
    for (let i = 0; i < n; ) {
      const k = Math.min(n - i, await this.available());
      this.take(k, part);
      const bytes = this.valueBytes;
      for (let j = 0; j < k; j++) {
        const v = part[j];
        out[i + j] = typeof v === 'number' && bytes ? bytes.buffer.subarray(bytes.starts[v], bytes.ends[v]) : v;
      }
      i += k;
    }
  }

  private pass(page: DictionaryPage | PlainBytesPage, k: number): void {
    try {
      for (let j = 0; j < k; j++) page.next();
    } catch (e) {
      throw this.damaged(e);
    }
  }

  private read(page: DictionaryPage | PlainBytesPage, k: number, out: unknown[], at: number): void {
    try {
      for (let j = 0; j < k; j++) out[at + j] = page.next();
    } catch (e) {
      throw this.damaged(e);
    }
  }
}
