// What `pipewarden doctor` reports: one finding per setting that decides speed or safety.

/** ok: as it should be; warn: works, with a cost or a risk the meaning says; fail: breaks a guarantee or the load. */
export type Verdict = 'ok' | 'warn' | 'fail';

export interface Finding {
  /** Where: mysql, redis, wal, s3. */
  target: 'mysql' | 'redis' | 'wal' | 's3';
  /** What was checked, e.g. "innodb_flush_log_at_trx_commit". */
  check: string;
  /** What was found, as the server or system says it. */
  value: string;
  verdict: Verdict;
  /** What it means for durability and speed, and what to change. */
  meaning: string;
}

export interface DoctorReport {
  findings: Finding[];
  /** The worst verdict: `pipewarden doctor` exits non-zero on fail. */
  verdict: Verdict;
}

export function worst(findings: readonly Finding[]): Verdict {
  return findings.some((f) => f.verdict === 'fail') ? 'fail' : findings.some((f) => f.verdict === 'warn') ? 'warn' : 'ok';
}
