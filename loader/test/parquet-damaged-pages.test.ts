// Damaged Parquet pages are errors naming where they are, never rows made of other bytes
// (both found in review): a PLAIN byte-array page whose definition levels claim more bytes
// than it holds, and an uncompressed INT96 page that claims more values than its bytes
// (hyparquet's fixed-length reader read on into the next page's header).
import { join } from 'node:path';
import { UserError, parseSpec, rulesFor } from '@pipewarden/core';
import type { ColumnDecoder, PageHeader } from 'hyparquet/src/types.js';
import { PlainBytesPage } from '../src/engine/parquet/dictionary-page';
import { parquetBatches } from '../src/engine/parquet/batches';
import { LocalSource } from '../src/source/local';

test('a PLAIN byte-array page whose levels claim more bytes than it has is refused, not read as NULLs', () => {
  // 8 optional values; the levels' length prefix says 8 bytes, the page holds 1 after it.
  const stored = new Uint8Array([8, 0, 0, 0, 3]);
  const header = { type: 'DATA_PAGE', uncompressed_page_size: 5, compressed_page_size: 5, data_page_header: { num_values: 8, encoding: 'PLAIN', definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' } } as unknown as PageHeader;
  const decoder = { type: 'BYTE_ARRAY', codec: 'UNCOMPRESSED', compressors: {} } as unknown as ColumnDecoder;
  expect(() => {
    const page = new PlainBytesPage(stored, header, decoder, 1);
    for (let i = 0; i < 8; i++) page.next();
  }).toThrow(/definition levels claim 8 bytes of its 5/);
});

test('an uncompressed INT96 page that claims more values than its bytes is an error naming the column', async () => {
  // Written by pyarrow (one value per page), then the first page's num_values changed from 1 to 2.
  const file = join(__dirname, 'fixtures', 'int96-page-claims-more.parquet');
  const source = new LocalSource(file);
  const [object] = await source.list();
  const spec = 'specVersion: 1\nname: stamps\ntable: stamps\nkey: [n]\ncolumns:\n  - { name: n, header: Summons Number, type: integer }\n  - { name: at, header: At, type: datetime, formats: [YYYY-MM-DD HH:mm:ss] }\n';
  const rules = rulesFor(parseSpec(spec, 'stamps.yaml'));
  const read = async () => {
    for await (const _ of parquetBatches(rules, source, object, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 10 }, new AbortController().signal)) void _;
  };
  await expect(read()).rejects.toThrow(UserError);
  await expect(read()).rejects.toThrow(/row group 0, column "At"/);
});
