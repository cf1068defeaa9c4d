// PIPEWARDEN_SPARK_S3A=true: the Spark job reads the object itself through Hadoop's S3A
// connector (hadoop-aws, put in .venv/jars by scripts/install-s3a-jars.sh), from the S3
// server, with the endpoint, path style and credentials pipewarden hands it. Nothing is
// staged on the loader's disk, and the batches equal the inline engine's.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Config } from '@pipewarden/core';
import { generate } from '../src/generate';
import { putFile } from '../src/s3-admin';
import { createS3Client, openSource } from '../src/source';
import { createSparkEngine, sparkStagingDir } from '../src/engine/spark';
import { REPO_ROOT } from '../src/engine/spark/process';
import { captureLogger, drainEngine, inlineEngine, sparkSkipReason } from './helpers/spark-testkit';
import { startTestStack, SHARED_SAMPLE, type TestStack } from '../../test/helpers/stack';

jest.setTimeout(240_000);

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED spark-s3a: ${skip}`);
const describeSpark = skip ? describe.skip : describe;

const JARS = join(REPO_ROOT, '.venv', 'jars');

describeSpark('Spark engine reading s3a:// itself', () => {
  let stack: TestStack;
  let config: Config;
  const prefix = () => `s3://${stack.layout.bucket}/s3a/`;

  beforeAll(async () => {
    const jars = existsSync(JARS) ? readdirSync(JARS).filter((f) => f.endsWith('.jar')) : [];
    if (jars.length < 2) throw new Error(`no S3A connector in ${JARS}: run scripts/install-s3a-jars.sh`);
    stack = await startTestStack({ services: ['s3'], migrate: false });
    config = stack.config({ engine: 'spark', 'spark.s3a': true, 'spark.maxPartitionBytes': 1 << 20, 'spark.submitArgs': `--jars ${jars.map((j) => join(JARS, j)).join(',')}` });
    const gen = join(stack.layout.dir, 'generated.csv');
    await generate(gen, { rows: 15000, seed: 5, badShare: 0.03, kaggle: true, crlf: true });
    const s3 = createS3Client(config);
    try {
      await putFile(s3, SHARED_SAMPLE, `${prefix()}a-sample.csv`);
      await putFile(s3, gen, `${prefix()}b-generated.csv`);
    } finally {
      s3.destroy();
    }
  });
  afterAll(() => stack?.cleanup());

  test('each object read by the job from the S3 server: the inline engine\'s batches, nothing staged', async () => {
    const source = openSource(prefix(), config);
    try {
      const objects = await source.list();
      expect(objects).toHaveLength(2);
      for (const object of objects) {
        const { log, lines } = captureLogger();
        const spark = await drainEngine(createSparkEngine(config, log), source, object, 1000);
        const inline = await drainEngine(inlineEngine(config), source, object, 1000);
        expect(lines.some((l) => l.includes('object staged'))).toBe(false);
        expect(spark.drafts.reduce((n, d) => n + d.src.records, 0)).toBe(inline.drafts.reduce((n, d) => n + d.src.records, 0));
        expect(spark.tsv).toBe(inline.tsv);
        expect(spark.rejects).toEqual(inline.rejects);
        expect(spark.oddities).toEqual(inline.oddities);
        expect(existsSync(join(sparkStagingDir(config, object), 'input.csv'))).toBe(false);
      }
    } finally {
      source.close();
    }
  });
});
