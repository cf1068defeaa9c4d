import { CsvRecordReader, type CsvRecord } from '../src/engine/csv-records';

type Parsed = Pick<CsvRecord, 'fields' | 'startByte' | 'endByte' | 'line' | 'nextLine' | 'error'> & { raw: Buffer };

function parse(input: string | Buffer, chunk = 7, opts = {}): Parsed[] {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8');
  const r = new CsvRecordReader(opts);
  const out: CsvRecord[] = [];
  for (let i = 0; i < buf.length; i += chunk) out.push(...r.push(buf.subarray(i, i + chunk)));
  out.push(...r.end());
  // raw is a view into the reader's buffer; copy for assertions after parsing
  return out.map((x) => ({ fields: x.fields, startByte: x.startByte, endByte: x.endByte, line: x.line, nextLine: x.nextLine, error: x.error, raw: Buffer.from(x.raw) }));
}

describe('CsvRecordReader', () => {
  it.each([1, 3, 7, 1000])('splits quoted fields, escapes and CRLF/LF the same whatever the chunking (%i)', (chunk) => {
    const recs = parse('a,b,c\r\n1,"x,y",é\n2,"say ""hi""",\r\n3,"multi\nline",z\n', chunk);
    expect(recs.map((r) => r.fields)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x,y', 'é'],
      ['2', 'say "hi"', ''],
      ['3', 'multi\nline', 'z'],
    ]);
    expect(recs.map((r) => r.line)).toEqual([1, 2, 3, 4]);
    expect(recs[3].nextLine).toBe(6);
  });

  it('gives exact byte offsets, so a ranged read resumes at a record', () => {
    const text = '\uFEFFh1,h2\r\n1,ä\r\n2,"b"\r\nlast,no-newline';
    const buf = Buffer.from(text, 'utf8');
    const recs = parse(buf, 5);
    expect(recs[0].startByte).toBe(3); // after the BOM
    expect(recs[0].fields).toEqual(['h1', 'h2']);
    for (const r of recs) expect(buf.subarray(r.startByte, r.endByte).toString().replace(/\r?\n$/, '')).toBe(r.raw.toString());
    const resumed = parse(buf.subarray(recs[2].startByte), 4, { startByte: recs[2].startByte, startLine: recs[2].line });
    expect(resumed.map((r) => [r.fields, r.startByte, r.line])).toEqual(recs.slice(2).map((r) => [r.fields, r.startByte, r.line]));
    expect(recs[recs.length - 1].fields).toEqual(['last', 'no-newline']);
  });

  it('turns an unbalanced quote into one error record and goes on at the next line', () => {
    const recs = parse('1,"bad"q,3\n2,ok,ok\n3,"never closed,x\n4,fine,yes\n', 4, { maxRecordBytes: 64 });
    expect(recs[0].error).toMatch(/after a closing quote/);
    expect(recs[0].raw.toString()).toBe('1,"bad"q,3');
    expect(recs[1].fields).toEqual(['2', 'ok', 'ok']);
    const bad = recs.find((r) => r.raw.toString().startsWith('3,'))!;
    expect(bad.error).toBeDefined();
    expect(recs.map((r) => r.fields[0]).filter(Boolean)).toContain('2');
    // every line is accounted for: records + error records cover all input lines
    expect(recs.length).toBeGreaterThanOrEqual(3);
  });

  it('an unclosed quote at the end of input is an error record, not a crash', () => {
    const recs = parse('h\n"open\n', 3);
    expect(recs[1].error).toMatch(/unclosed/);
  });

  it('handles a 1 MB field', () => {
    const big = 'x'.repeat(1 << 20);
    const recs = parse(`a,b\n1,"${big}"\n2,z\n`, 65536);
    expect(recs[1].fields[1].length).toBe(1 << 20);
    expect(recs[2].fields).toEqual(['2', 'z']);
  });
});
