// Reading the Spark job's output and reporting its failures, without a JVM: part files in
// ordinal order whatever their names, a lost part or an incomplete job refused, and the
// lines of a failed job's stderr that a user needs.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SparkOutputFollower, parseSparkLine, partFiles, readSparkRecords, readSparkSummary, type SparkRecord } from '../src/engine/spark/output';
import { SparkJobError, relevantStderr } from '../src/engine/spark/process';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('Spark output', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-spark-out-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const kept = (o: number, line: number, key: string, odd = '') => `${o}\t${line}\tK\t${odd}\t${key}\tA\\tB\t\\N\n`;

  test('records come back in ordinal order, whatever the part files are called', async () => {
    writeFileSync(join(dir, 'part-00000-x.txt'), kept(3, 4, '30') + kept(4, 6, '40', '2,5'));
    writeFileSync(join(dir, 'part-00001-x.txt'), kept(1, 2, '10') + `2\t3\tR\tcsv_error\t${b64(Buffer.from([0x22, 0xff]))}\t${b64('unclosed quoted field')}\n`);
    writeFileSync(join(dir, 'part-00002-x.txt'), ''); // an empty partition
    expect(await partFiles(dir)).toEqual(['part-00001-x.txt', 'part-00000-x.txt']);
    const all = [];
    for await (const r of readSparkRecords(dir)) all.push(r);
    expect(all.map((r) => r.ordinal)).toEqual([1, 2, 3, 4]);
    expect(all[1]).toEqual({ ordinal: 2, line: 3, kind: 'R', reason: 'csv_error', raw: Buffer.from([0x22, 0xff]), detail: 'unclosed quoted field' });
    expect(all[3]).toEqual({ ordinal: 4, line: 6, kind: 'K', oddities: [2, 5], tsv: Buffer.from('40\tA\\tB\t\\N') });
    const resumed = [];
    for await (const r of readSparkRecords(dir, 3)) resumed.push(r.ordinal);
    expect(resumed).toEqual([3, 4]);
  });

  test('one-pass output: local numbers plus each part\'s offsets from the summary', async () => {
    writeFileSync(join(dir, 'part-00001.txt'), `#\t65536\n` + kept(1, 1, '30') + kept(2, 3, '40'));
    writeFileSync(join(dir, 'part-00000.txt'), `#\t0\n` + kept(1, 2, '10') + kept(2, 4, '20'));
    const offsets: Record<string, [number, number]> = { '0': [0, 0], '65536': [2, 5] };
    const all = [];
    for await (const r of readSparkRecords(dir, 1, offsets)) all.push([r.ordinal, r.line]);
    expect(all).toEqual([[1, 2], [2, 4], [3, 6], [4, 8]]);
    const read = async () => {
      for await (const _ of readSparkRecords(dir, 1, { '0': [0, 0] })) void _;
    };
    await expect(read()).rejects.toThrow(/block 65536, which the summary does not list/);
  });

  test('a missing part (a gap in the ordinals) fails the read instead of dropping rows', async () => {
    writeFileSync(join(dir, 'part-00000.txt'), kept(1, 2, '10') + kept(2, 3, '20'));
    writeFileSync(join(dir, 'part-00002.txt'), kept(5, 6, '50'));
    const read = async () => {
      for await (const _ of readSparkRecords(dir)) void _;
    };
    await expect(read()).rejects.toThrow(/not contiguous: expected record 3, found 5/);
  });

  test('output without _SUCCESS is refused; unknown reasons are malformed output', async () => {
    writeFileSync(join(dir, '_pipewarden.json'), '{}');
    await expect(readSparkSummary(dir)).rejects.toThrow(/no _SUCCESS marker/);
    expect(() => parseSparkLine(Buffer.from('1\t2\tR\tno_such_reason\tAA==\t'), 'x')).toThrow(SparkJobError);
    // Reasons of required non-key columns (a regression: the legacy NYC list lacked them).
    for (const reason of ['missing_value', 'invalid_value'] as const) expect(parseSparkLine(Buffer.from(`1\t2\tR\t${reason}\tAA==\t`), 'x')).toMatchObject({ kind: 'R', reason });
    expect(() => parseSparkLine(Buffer.from('garbage'), 'x')).toThrow(/malformed Spark output/);
    expect(() => parseSparkLine(Buffer.from('1\t2\tK\t3,x\t5\tA'), 'x')).toThrow(/malformed Spark output/);
  });
});

describe('following a running job\'s output', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-spark-follow-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const kept = (o: number, line: number, key: string) => `${o}\t${line}\tK\t\t${key}\tA\n`;
  const part = (name: string, block: number, body: string, end: number, lines: number, records: number, tail = 0) =>
    writeFileSync(join(dir, name), `#\t${block}\n${body}#\tend\t${end}\t${lines}\t${records}\t${tail}\n`);
  const finish = (records: number, offsets: Record<string, [number, number]> | null) => {
    writeFileSync(join(dir, '_SUCCESS'), '');
    writeFileSync(join(dir, '_pipewarden.json'), JSON.stringify({ records, offsets }));
  };
  /** A job whose end the test decides. */
  const job = () => {
    let end!: (e?: Error) => void;
    const promise = new Promise<void>((resolve, reject) => (end = (e) => (e ? reject(e) : resolve())));
    return { promise, end };
  };
  async function take(it: AsyncIterator<SparkRecord>, n: number): Promise<number[][]> {
    const out: number[][] = [];
    while (out.length < n) {
      const r = await it.next();
      if (r.done) break;
      out.push([r.value.ordinal, r.value.line]);
    }
    return out;
  }

  test('parts are read in block order as they are committed, before the job ends', async () => {
    const j = job();
    const f = new SparkOutputFollower(dir, { job: j.promise, inputEnd: 200, fromOrdinal: 1, signal: new AbortController().signal, pollMs: 5 });
    const it = f.records();
    part('part-00001-x.txt', 100, kept(1, 1, '30'), 200, 2, 1); // the second block is there first
    const first = take(it, 1);
    await new Promise((r) => setTimeout(r, 30));
    part('part-00000-x.txt', 0, kept(1, 2, '10') + kept(2, 3, '20'), 100, 3, 2);
    expect(await first).toEqual([[1, 2]]); // the job has not ended
    expect(await take(it, 2)).toEqual([[2, 3], [3, 4]]);
    expect(f.reached).toBe(100); // the first part's end; the second is being read
    finish(3, null);
    j.end();
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(f.reached).toBe(200);
    expect(f.followedAll).toBe(true);
  });

  test('after a partition that ends inside a record, the rest comes from the finished output, without repeats', async () => {
    const j = job();
    const f = new SparkOutputFollower(dir, { job: j.promise, inputEnd: 300, fromOrdinal: 1, signal: new AbortController().signal, pollMs: 5 });
    const it = f.records();
    part('part-00000-a.txt', 0, kept(1, 2, '10'), 100, 2, 1);
    part('part-00001-a.txt', 100, kept(1, 1, '20'), 200, 3, 1, 1); // its last record goes on in the next block
    expect(await take(it, 2)).toEqual([[1, 2], [2, 3]]);
    // The job redid the file by its splitting path: absolute numbers, no markers.
    for (const name of readdirSync(dir)) rmSync(join(dir, name));
    writeFileSync(join(dir, 'part-00000-b.txt'), kept(1, 2, '10') + kept(2, 3, '20'));
    writeFileSync(join(dir, 'part-00001-b.txt'), kept(3, 5, '25') + kept(4, 8, '30'));
    finish(4, null);
    j.end();
    expect(await take(it, 10)).toEqual([[3, 5], [4, 8]]);
    expect(f.followedAll).toBe(false);
  });

  test('a job that fails after some parts: their records, then the job\'s error', async () => {
    const j = job();
    const f = new SparkOutputFollower(dir, { job: j.promise, inputEnd: 300, fromOrdinal: 2, signal: new AbortController().signal, pollMs: 5 });
    const it = f.records();
    part('part-00000-a.txt', 0, kept(1, 2, '10') + kept(2, 3, '20'), 100, 3, 2);
    expect(await take(it, 1)).toEqual([[2, 3]]); // a resumed load starts at record 2
    j.end(new SparkJobError('the Spark job was killed by SIGKILL after 3.0 s', []));
    await expect(it.next()).rejects.toThrow(/killed by SIGKILL/);
  });

  test('a part whose trailer does not match its records is refused', async () => {
    const j = job();
    const f = new SparkOutputFollower(dir, { job: j.promise, inputEnd: 100, fromOrdinal: 1, signal: new AbortController().signal, pollMs: 5 });
    part('part-00000-a.txt', 0, kept(1, 2, '10'), 100, 3, 2);
    await expect(take(f.records(), 5)).rejects.toThrow(/incomplete: 1 records, its trailer says 2/);
    j.end();
  });
});

describe('a failed job is explained by a few stderr lines', () => {
  test('own error first, then the Python exception; no stack frames, tracebacks or log chatter', () => {
    const lines = [
      '26/11/27 19:41:25 INFO SparkContext: Running Spark version 3.5.7',
      'Traceback (most recent call last):',
      '  File "/tmp/spark-1/userFiles-2/pwnorm.py", line 296, in normalize',
      '    return "\\t".join(vals), odd',
      'TypeError: sequence item 26: expected str instance, object found',
      '26/11/27 19:41:26 ERROR Executor: Exception in task 0.0 in stage 1.0 (TID 1)',
      '26/11/27 19:41:26 INFO DAGScheduler: ResultStage 1 failed: org.apache.spark.api.python.PythonException: Traceback (most recent call last):',
      'org.apache.spark.SparkException: Job aborted due to stage failure',
      '\tat org.apache.spark.rdd.RDD.iterator(RDD.scala:329)',
      'Caused by: org.apache.spark.api.python.PythonException: Traceback (most recent call last):',
      '\t... 14 more',
      'TypeError: sequence item 26: expected str instance, object found',
      'PIPEWARDEN_ERROR TypeError: sequence item 26: expected str instance, object found',
    ];
    expect(relevantStderr(lines)).toEqual(['TypeError: sequence item 26: expected str instance, object found']);
  });

  test('without a Python exception, log4j ERROR lines explain it', () => {
    const lines = ['26/11/27 19:41:25 INFO SparkContext: Running', '26/11/27 19:41:26 ERROR SparkContext: Error initializing SparkContext.', '\tat x.y(Z.java:1)'];
    expect(relevantStderr(lines)).toEqual(['26/11/27 19:41:26 ERROR SparkContext: Error initializing SparkContext.']);
  });

  test('a job killed without a word still shows its last lines', () => {
    const lines = ['26/11/27 INFO DAGScheduler: Submitting ResultStage 1', '26/11/27 INFO TaskSetManager: Starting task 0.0'];
    expect(relevantStderr(lines)).toEqual(lines);
  });
});
