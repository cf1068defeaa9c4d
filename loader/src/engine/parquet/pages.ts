// One column chunk of one row group, read page by page: only the compressed bytes of the
// pages in use are held (a window fetched by ranged reads), and one decoded page. Reading a
// whole row group at once would cost its decoded size — hundreds of MB for the million-row
// groups Spark and pyarrow write — where a page is about 1 MB. hyparquet decodes the pages
// (headers, dictionaries, every encoding and codec); this file only walks them.
import { parquetHeader, readPage } from 'hyparquet/src/column.js';
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
  private page: DecodedArray = [];
  private pageAt = 0;

  constructor(
    private readonly fetch: Fetch,
    start: number,
    /** The chunk's end: no page lies beyond it. */
    private readonly end: number,
    private readonly decoder: ColumnDecoder,
    readonly name: string,
  ) {
    this.bufStart = start;
    this.pos = start;
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
        if (this.pos + n >= this.end) throw e;
      }
    }
  }

  /** Read the next data page (a dictionary page on the way is kept); skip it whole when `skip` covers it. Returns the rows it skipped. */
  private async nextPage(skip: number): Promise<number> {
    for (;;) {
      if (this.pos >= this.end) throw new Error(`column "${this.name}": its chunk ended before the row group's last row`);
      const h = await this.header();
      await this.have(h.compressed_page_size);
      const r = this.reader();
      const result = readPage(r, h, this.decoder, this.dictionary, undefined, h.type === 'DICTIONARY_PAGE' ? 0 : skip);
      this.pos = this.bufStart + r.offset;
      if (h.type === 'DICTIONARY_PAGE') {
        this.dictionary = result.data;
        continue;
      }
      if (result.skipped) return result.skipped;
      this.page = result.data ?? [];
      this.pageAt = 0;
      return 0;
    }
  }

  /** Pass over `n` rows without rendering them (a resume inside a row group). */
  async skip(n: number): Promise<void> {
    while (n > 0) {
      const left = this.page.length - this.pageAt;
      if (left > 0) {
        const k = Math.min(left, n);
        this.pageAt += k;
        n -= k;
      } else n -= await this.nextPage(n);
    }
  }

  /** The next `n` values into `out[0…n)`: NULL is undefined or null. */
  async take(n: number, out: unknown[]): Promise<void> {
    for (let i = 0; i < n; ) {
      if (this.pageAt >= this.page.length) {
        await this.nextPage(0);
        continue;
      }
      const k = Math.min(n - i, this.page.length - this.pageAt);
      for (let j = 0; j < k; j++) out[i + j] = this.page[this.pageAt + j];
      this.pageAt += k;
      i += k;
    }
  }
}
