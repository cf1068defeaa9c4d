// `pipewarden doctor`: the settings of the target MySQL, Redis, the WAL's disk and the source
// that decide speed and safety, each with what it means. A target that does not answer is a
// finding too (fail), never a stack trace.
import { allPipelineConfigs, createPool, createRedis, errorMessage, type Config } from '@pipewarden/core';
import { judgeMysql, readMysql } from './mysql';
import { judgeRedis, readRedis } from './redis';
import { sourceFindings } from './s3';
import { worst, type DoctorReport, type Finding } from './types';
import { judgeWal, readWal } from './wal';

export { judgeMysql, privilegesOn, type MysqlFacts } from './mysql';
export { judgeRedis } from './redis';
export { judgeWal } from './wal';
export { worst, type DoctorReport } from './types';

async function findingsOrFailure(target: Finding['target'], what: string, probe: () => Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await probe();
  } catch (e) {
    return [{ target, check: 'reachable', value: what, verdict: 'fail', meaning: `no answer: ${errorMessage(e)}` }];
  }
}

export async function runDoctor(config: Config, opts: { source?: string } = {}): Promise<DoctorReport> {
  const pipelines = allPipelineConfigs(config);
  const mysql = await findingsOrFailure('mysql', 'PIPEWARDEN_MYSQL_URL', async () => {
    const pool = createPool(config, { connectionLimit: 1, connectTimeout: 5000 });
    try {
      return judgeMysql(await readMysql(pool, pipelines));
    } finally {
      await pool.end();
    }
  });
  const redis = await findingsOrFailure('redis', 'PIPEWARDEN_REDIS_URL', async () => {
    const r = createRedis(config, { role: 'doctor', behaviour: { lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => null } });
    try {
      // The connection's own error (ECONNREFUSED, NOAUTH), not ioredis' "Connection is closed".
      await new Promise<void>((resolve, reject) => {
        r.once('ready', () => resolve());
        r.once('error', reject);
      });
      return judgeRedis(await readRedis(r));
    } finally {
      r.disconnect();
    }
  });
  const wal = await findingsOrFailure('wal', config.wal.dir, async () => judgeWal(await readWal(config.wal.dir)));
  const sources = [...new Set(opts.source ? [opts.source] : pipelines.map((p) => p.source))];
  const s3 = (await Promise.all(sources.map((s) => sourceFindings(config, s)))).flat();
  const findings = [...mysql, ...redis, ...wal, ...s3];
  return { findings, verdict: worst(findings) };
}
