// The Spark engine against a real standalone cluster: a Spark master and a worker started
// from the installed Spark (spark-class), PIPEWARDEN_SPARK_MASTER=spark://…, the job's
// tasks run in the worker's executor, not in the driver. Same batches as the inline engine,
// with the output in a local folder, and with input and output on the S3 server through
// s3a (PIPEWARDEN_SPARK_OUTPUT_URL): no folder shared between the job and the loader.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { loadConfig, s3Endpoint, type Config } from '@pipewarden/core';
import { createSparkEngine, sparkStagingDir } from '../src/engine/spark';
import { REPO_ROOT } from '../src/engine/spark/process';
import { putFile } from '../src/s3-admin';
import { createS3Client, openSource } from '../src/source';
import { startTestStack, type TestStack } from '../../test/helpers/stack';
import { startSparkCluster, type SparkCluster } from './helpers/spark-cluster';
import { captureLogger, drainEngine, inlineEngine, sparkSkipReason } from './helpers/spark-testkit';
import { generate } from '../src/generate';
import { LocalSource } from '../src/source/local';

jest.setTimeout(240_000);

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED spark-cluster: ${skip}`);
const describeSpark = skip ? describe.skip : describe;

describeSpark('Spark engine on a standalone cluster (spark://)', () => {
  let dir: string;
  let config: Config;
  let cluster: SparkCluster;
  let stack: TestStack;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-spark-cluster-'));
    config = loadConfig({ env: { PIPEWARDEN_RUN_DIR: join(dir, 'run'), PIPEWARDEN_ENGINE: 'spark' }, useStackEnv: false });
    stack = await startTestStack({ services: ['s3'], migrate: false });
    // The cluster's own S3 credentials (its executors read and write s3a): the workers' environment.
    const { credentials } = s3Endpoint(stack.config());
    cluster = await startSparkCluster(config, dir, { AWS_ACCESS_KEY_ID: credentials!.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials!.secretAccessKey });
  });

  afterAll(async () => {
    cluster?.stop();
    await stack?.cleanup();
    if (!process.env.PIPEWARDEN_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  test('a job submitted to the master runs in the worker\'s executor and yields the inline engine\'s batches', async () => {
    const file = join(dir, 'input.csv');
    await generate(file, { rows: 20000, seed: 11, badShare: 0.03, kaggle: true });
    const source = new LocalSource(file);
    const [object] = await source.list();
    config.spark.master = cluster.masterUrl;
    config.spark.maxPartitionBytes = 1 << 20; // several tasks
    const { log, lines } = captureLogger();
    const spark = await drainEngine(createSparkEngine(config, log), source, object, 1500);
    const inline = await drainEngine(inlineEngine(config), source, object, 1500);
    expect(lines.some((l) => l.includes('spark job starting') && l.includes(cluster.masterUrl))).toBe(true);
    expect(spark.tsv).toBe(inline.tsv);
    expect(spark.rejects).toEqual(inline.rejects);
    expect(spark.oddities).toEqual(inline.oddities);
    expect(spark.drafts.filter((d) => d.src.records > 0).map((d) => d.src)).toEqual(inline.drafts.filter((d) => d.src.records > 0).map((d) => ({ ...d.src, startByte: -1, endByte: -1, nextLine: undefined })));
    // The tasks ran in an executor the worker launched for this application.
    const workLog = readFileSync(cluster.workerLog, 'utf8');
    expect(workLog).toMatch(/Asked to launch executor app-\S+\/\d+ for pipewarden-transform/);
  });

  test('input and output on S3 through s3a: the loader follows the parts on S3, never a local folder of the job, and the batches equal the inline engine\'s', async () => {
    const jarsDir = join(REPO_ROOT, '.venv', 'jars');
    const jars = existsSync(jarsDir) ? readdirSync(jarsDir).filter((f) => f.endsWith('.jar')) : [];
    if (jars.length < 2) throw new Error(`no S3A connector in ${jarsDir}: run scripts/install-s3a-jars.sh`);
    const base = stack.config();
    const s3config = stack.config({
      runDir: join(dir, 'run-s3'),
      engine: 'spark',
      'spark.master': cluster.masterUrl,
      'spark.s3a': true,
      'spark.outputUrl': `s3://${stack.layout.bucket}/spark-out/`,
      'spark.maxPartitionBytes': 1 << 20,
      'spark.submitArgs': `--jars ${jars.map((j) => join(jarsDir, j)).join(',')}`,
    });
    const file = join(dir, 'cluster-s3.csv');
    await generate(file, { rows: 30000, seed: 12, badShare: 0.03, kaggle: true });
    const s3 = createS3Client(base);
    await putFile(s3, file, `s3://${stack.layout.bucket}/cluster/input.csv`);
    const source = openSource(`s3://${stack.layout.bucket}/cluster/`, s3config);
    try {
      const [object] = await source.list();
      const stage = sparkStagingDir(s3config, object);
      // Watched while the job runs: the parts show up on S3; no output folder ever appears locally.
      let partsOnS3 = 0;
      let localOutput = false;
      const watch = setInterval(() => {
        localOutput ||= existsSync(join(stage, 'out'));
        void s3.send(new ListObjectsV2Command({ Bucket: stack.layout.bucket, Prefix: 'spark-out/' })).then((r) => (partsOnS3 = Math.max(partsOnS3, (r.Contents ?? []).filter((o) => /\/out\/part-/.test(o.Key ?? '')).length)), () => undefined);
      }, 200);
      const { log } = captureLogger();
      const spark = await drainEngine(createSparkEngine(s3config, log), source, object, 2000).finally(() => clearInterval(watch));
      const inline = await drainEngine(inlineEngine(s3config), source, object, 2000);
      expect(spark.tsv).toBe(inline.tsv);
      expect(spark.rejects).toEqual(inline.rejects);
      expect(spark.oddities).toEqual(inline.oddities);
      expect(spark.drafts.map((d) => d.src.records)).toEqual(inline.drafts.map((d) => d.src.records));
      expect(localOutput).toBe(false);
      expect(existsSync(join(stage, 'input.csv'))).toBe(false); // read by the cluster through s3a, not staged
      expect(partsOnS3).toBeGreaterThan(1);
      // Handed over: the object's output is gone from S3.
      const left = await s3.send(new ListObjectsV2Command({ Bucket: stack.layout.bucket, Prefix: 'spark-out/' }));
      expect(left.Contents ?? []).toEqual([]);
      expect(readFileSync(cluster.workerLog, 'utf8')).toMatch(/Asked to launch executor app-\S+\/\d+ for pipewarden-transform/);
    } finally {
      source.close();
      s3.destroy();
    }
  });
});
