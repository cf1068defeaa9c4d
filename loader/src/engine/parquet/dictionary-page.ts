// A dictionary-encoded data page read value by value. Dictionary indices are run-length and
// bit-packed, so one 1 MB page can hold every row of a million-row row group (pyarrow bounds
// pages by encoded bytes only): decoded whole, as hyparquet's readPage does, that is an array
// of a million references per column — about 1 GB for a 43-column NYC row group, measured.
// Read lazily, a page costs its decompressed bytes. PLAIN byte-array pages are read so too
// (PlainBytesPage); other pages go to hyparquet whole (./pages.ts says what that costs).
import { decompressPage } from './hyparquet-internals';
import type { ColumnDecoder, DecodedArray, PageHeader } from 'hyparquet/src/types.js';

/** The RLE / bit-packed hybrid encoding (Parquet's "RLE"), decoded one value at a time. */
export class RleHybrid {
  private left = 0;
  private rle = false;
  private value = 0;
  private bit = 0;
  /** Where its runs end: never past its bytes, whatever a damaged length prefix says. */
  private readonly end: number;

  constructor(
    private readonly b: Uint8Array,
    private pos: number,
    end: number,
    private readonly width: number,
  ) {
    if (width > 32) throw new Error(`a bit width of ${width} (at most 32)`);
    this.end = Math.min(end, b.length);
  }

  next(): number {
    if (this.width === 0) return 0;
    while (this.left === 0) this.run(); // a run of no values is allowed (writers emit them)
    this.left--;
    if (this.rle) return this.value;
    let v = 0;
    for (let got = 0; got < this.width; ) {
      const off = this.bit & 7;
      const take = Math.min(8 - off, this.width - got);
      v |= ((this.b[this.bit >> 3] >> off) & ((1 << take) - 1)) << got;
      got += take;
      this.bit += take;
    }
    return v >>> 0;
  }

  /** The next run's header: `count << 1` (a repeated value) or `groups << 1 | 1` (groups of 8 bit-packed values). */
  private run(): void {
    if (this.pos >= this.end) throw new Error('a run-length encoded run lies past the end of its page');
    let h = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.b[this.pos++];
      h += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) break;
    }
    if (h % 2 === 1) {
      const groups = (h - 1) / 2;
      this.rle = false;
      this.left = groups * 8;
      this.bit = this.pos * 8;
      this.pos += groups * this.width;
      if (this.pos > this.end) throw new Error('bit-packed values run past the end of their page');
    } else {
      this.rle = true;
      this.left = h / 2;
      this.value = 0;
      const bytes = (this.width + 7) >> 3;
      if (this.pos + bytes > this.end) throw new Error('a run-length encoded value lies past the end of its page');
      for (let i = 0; i < bytes; i++) this.value += this.b[this.pos++] * 2 ** (8 * i);
    }
  }
}

const widthOf = (max: number) => 32 - Math.clz32(max);

/**
 * A BYTE_ARRAY dictionary kept as its page's bytes and the offsets of each value: a million-row
 * group's dictionaries hold hundreds of thousands of values, and one Uint8Array view per
 * value costs about 96 bytes of heap (80 MB for the NYC file's, measured) against 8 here.
 * A data page reading it yields indices; ./row-writer.ts copies the bytes from here.
 */
export class ByteDictionary {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** The page's bytes, as a Buffer (copied from without a view per value). */
  readonly buffer: Buffer;

  /** Index the `size` length-prefixed values of `bytes` (PLAIN BYTE_ARRAY encoding). */
  constructor(
    bytes: Uint8Array,
    readonly size: number,
  ) {
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.starts = new Int32Array(size);
    this.ends = new Int32Array(size);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0, at = 0; i < size; i++) {
      if (at + 4 > bytes.length) throw new Error(`the page ends before its value ${i} of ${size}`);
      const length = view.getUint32(at, true);
      this.starts[i] = at + 4;
      this.ends[i] = at += 4 + length;
      if (at > bytes.length) throw new Error(`the page ends inside its value ${i} of ${size}`);
    }
  }

  /** The values of a data page: at most `most` (its level count), as many as its bytes hold. */
  static scan(bytes: Uint8Array, most: number): ByteDictionary {
    let n = 0;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at + 4 <= bytes.length && n < most; n++) at += 4 + view.getUint32(at, true);
    return new ByteDictionary(bytes, n);
  }

  /** Read the dictionary page whose bytes (as stored) are `stored`. */
  static of(stored: Uint8Array, header: PageHeader, decoder: ColumnDecoder): ByteDictionary {
    const page = decompressPage(stored, Number(header.uncompressed_page_size), decoder.codec, decoder.compressors);
    return new ByteDictionary(page, header.dictionary_page_header!.num_values);
  }
}

/** A data page opened: its definition levels (none for a required column), its values' bytes and its value count. */
interface OpenedPage {
  defs: RleHybrid | undefined;
  /** The decompressed bytes holding the values, from `at`. */
  page: Uint8Array;
  at: number;
  /** Values (rows: flat columns only), NULLs included. */
  count: number;
}

/** Decompress a data page (v1 or v2) and find its definition levels and its values. */
function openDataPage(stored: Uint8Array, header: PageHeader, decoder: ColumnDecoder, maxDef: number): OpenedPage {
  const v2 = header.data_page_header_v2;
  if (v2) {
    // Levels first, never compressed, without a length prefix; then the values, maybe compressed.
    const levels = v2.repetition_levels_byte_length + v2.definition_levels_byte_length;
    if (levels > stored.length) throw new Error(`its levels claim ${levels} bytes of its ${stored.length}`);
    const defs = maxDef ? new RleHybrid(stored, v2.repetition_levels_byte_length, levels, widthOf(maxDef)) : undefined;
    const values = stored.subarray(levels);
    const size = header.uncompressed_page_size - levels;
    const page = v2.is_compressed === false || size === 0 ? values : decompressPage(values, size, decoder.codec, decoder.compressors);
    return { defs, page, at: 0, count: v2.num_values };
  }
  const page = decompressPage(stored, Number(header.uncompressed_page_size), decoder.codec, decoder.compressors);
  const count = header.data_page_header!.num_values;
  if (!maxDef) return { defs: undefined, page, at: 0, count };
  const length = page[0] | (page[1] << 8) | (page[2] << 16) | (page[3] << 24);
  if (page.length < 4 || length < 0 || 4 + length > page.length) throw new Error(`its definition levels claim ${length} bytes of its ${page.length}`);
  return { defs: new RleHybrid(page, 4, 4 + length, widthOf(maxDef)), page, at: 4 + length, count };
}

/** A data page read value by value: its definition levels say which values are NULL. */
abstract class LevelledPage {
  private readonly defs: RleHybrid | undefined;
  /** Values (rows: flat columns only) not yet read. */
  left: number;
  protected readonly page: Uint8Array;
  /** Where the page's values start in `page`. */
  protected readonly at: number;

  constructor(
    /** The page's bytes as stored (compressed), header excluded. */
    stored: Uint8Array,
    header: PageHeader,
    decoder: ColumnDecoder,
    /** Definition level of a present value (0: a required column, no levels). */
    private readonly maxDef: number,
  ) {
    const opened = openDataPage(stored, header, decoder, maxDef);
    this.defs = opened.defs;
    this.left = opened.count;
    this.page = opened.page;
    this.at = opened.at;
  }

  /** Move past one value: whether it is present (not NULL). */
  protected present(): boolean {
    this.left--;
    return !this.defs || this.defs.next() >= this.maxDef;
  }
}

export class DictionaryPage extends LevelledPage {
  private readonly indices: RleHybrid;

  constructor(
    stored: Uint8Array,
    header: PageHeader,
    decoder: ColumnDecoder,
    maxDef: number,
    /** Decoded values, or a byte dictionary (then each value is its index in it). */
    private readonly dictionary: DecodedArray | ByteDictionary,
  ) {
    super(stored, header, decoder, maxDef);
    this.indices = new RleHybrid(this.page, this.at + 1, this.page.length, this.page[this.at]);
  }

  /** The next value: NULL is undefined. */
  next(): unknown {
    if (!this.present()) return undefined;
    const i = this.indices.next();
    const d = this.dictionary;
    const size = d instanceof ByteDictionary ? d.size : d.length;
    if (i >= size) throw new Error(`dictionary index ${i} is past the dictionary's ${size} values`);
    return d instanceof ByteDictionary ? i : d[i];
  }
}

/**
 * A PLAIN-encoded BYTE_ARRAY data page read value by value: its values stay in the page's
 * bytes, as a ByteDictionary of its own (`bytes`), and reading yields their indices, as a
 * dictionary page does. Decoded whole (hyparquet's readPage), a page is one Uint8Array view
 * per value: a million of them for a column of unique strings, which outlive young-generation
 * collections and grew the old space by about 100 MB on the NYC file (measured).
 */
export class PlainBytesPage extends LevelledPage {
  readonly bytes: ByteDictionary;
  private next_ = 0;

  constructor(stored: Uint8Array, header: PageHeader, decoder: ColumnDecoder, maxDef: number) {
    super(stored, header, decoder, maxDef);
    this.bytes = ByteDictionary.scan(this.page.subarray(this.at), this.left);
  }

  /** The next value's index in `bytes`: NULL is undefined. */
  next(): number | undefined {
    if (!this.present()) return undefined;
    if (this.next_ >= this.bytes.size) throw new Error(`the page holds ${this.bytes.size} values, fewer than its levels say`);
    return this.next_++;
  }
}
