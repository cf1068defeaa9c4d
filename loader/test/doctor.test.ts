// pipewarden doctor's judgements, on the values real servers report (MariaDB 10.11, MySQL 8.4).
import { judgeMysql, judgeRedis, judgeWal, privilegesOn, worst, type MysqlFacts } from '@pipewarden/loader';

const GB = 2 ** 30;
const healthy: MysqlFacts = {
  version: '10.11.19-MariaDB-0+deb12u1',
  variables: { local_infile: 'ON', innodb_flush_log_at_trx_commit: '1', log_bin: 'OFF', innodb_buffer_pool_size: String(12 * GB), innodb_log_file_size: String(2 * GB) },
  privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'INDEX', 'CREATE TEMPORARY TABLES'],
  tableBytes: 3 * GB,
  missingIndexes: [],
};
const verdicts = (fs: { check: string; verdict: string }[]) => Object.fromEntries(fs.map((f) => [f.check, f.verdict]));

test('a server set up for pipewarden is all ok', () => {
  expect(worst(judgeMysql(healthy))).toBe('ok');
});

test('each MySQL setting that costs speed or safety is named', () => {
  const v = verdicts(
    judgeMysql({
      ...healthy,
      version: '8.4.3',
      variables: { local_infile: 'OFF', innodb_flush_log_at_trx_commit: '2', log_bin: 'ON', sync_binlog: '0', binlog_format: 'STATEMENT', innodb_buffer_pool_size: String(GB), innodb_redo_log_capacity: String(100 * 2 ** 20) },
    }),
  );
  expect(v).toMatchObject({ version: 'ok', local_infile: 'warn', innodb_flush_log_at_trx_commit: 'warn', sync_binlog: 'warn', binlog_format: 'warn', innodb_buffer_pool_size: 'warn', 'redo log size': 'warn', privileges: 'ok' });
});

test('a table without the indexes of its spec warns, naming them', () => {
  const f = judgeMysql({ ...healthy, missingIndexes: [{ table: 'violations', indexes: ['ix_issue_date', 'ix_violation_code'] }] }).find((x) => x.check === 'secondary indexes')!;
  expect(f).toMatchObject({ verdict: 'warn', value: 'violations: ix_issue_date, ix_violation_code' });
  expect(judgeMysql(healthy).find((x) => x.check === 'secondary indexes')!.verdict).toBe('ok');
});

test('missing privileges fail, naming them', () => {
  const fs = judgeMysql({ ...healthy, privileges: ['SELECT', 'INSERT'] });
  const p = fs.find((f) => f.check === 'privileges')!;
  expect(p.verdict).toBe('fail');
  expect(p.meaning).toContain('UPDATE, DELETE, CREATE, ALTER, INDEX, CREATE TEMPORARY TABLES');
});

test('privileges from GRANT lines: on the database, on everything, ALL PRIVILEGES; another database does not count', () => {
  expect(privilegesOn(['GRANT USAGE ON *.* TO `pw`@`%`', 'GRANT SELECT, INSERT ON `pipewarden`.* TO `pw`@`%`', 'GRANT DELETE ON `other`.* TO `pw`@`%`'], 'pipewarden').sort()).toEqual(['INSERT', 'SELECT', 'USAGE']);
  expect(privilegesOn(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION'], 'pipewarden')).toEqual(expect.arrayContaining(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'INDEX', 'CREATE TEMPORARY TABLES']));
  // As MariaDB and MySQL print a grant of the two-word privilege.
  expect(privilegesOn(['GRANT SELECT, CREATE TEMPORARY TABLES ON `pipewarden`.* TO `pw`@`%`'], 'pipewarden').sort()).toEqual(['CREATE TEMPORARY TABLES', 'SELECT']);
});

test('Redis: no persistence warns; an evicting maxmemory policy fails; noeviction is fine', () => {
  expect(verdicts(judgeRedis({ info: { aof_enabled: '0', maxmemory: '0', maxmemory_policy: 'noeviction' }, rdbSave: '' }))).toEqual({ persistence: 'warn', 'maxmemory-policy': 'ok' });
  expect(judgeRedis({ info: { aof_enabled: '0' }, rdbSave: '3600 1' })[0].value).toBe('RDB snapshots (save 3600 1)');
  expect(judgeRedis({ info: { aof_enabled: '0' } })[0].value).toBe('RDB unknown (CONFIG refused)');
  expect(verdicts(judgeRedis({ info: { aof_enabled: '1', maxmemory: String(2 ** 30), maxmemory_policy: 'allkeys-lru' } }))).toEqual({ persistence: 'ok', 'maxmemory-policy': 'fail' });
  expect(verdicts(judgeRedis({ info: { aof_enabled: '1', maxmemory: String(2 ** 30), maxmemory_policy: 'noeviction' } }))).toEqual({ persistence: 'ok', 'maxmemory-policy': 'ok' });
});

test('WAL disk: nearly full fails, little room warns, a slow fsync warns', () => {
  expect(verdicts(judgeWal({ dir: '/w', freeBytes: 100 * 2 ** 20, fsyncMs: 0.3 }))).toEqual({ 'free space': 'fail', 'fsync latency': 'ok' });
  expect(verdicts(judgeWal({ dir: '/w', freeBytes: GB, fsyncMs: 45 }))).toEqual({ 'free space': 'warn', 'fsync latency': 'warn' });
  expect(verdicts(judgeWal({ dir: '/w', freeBytes: 50 * GB, fsyncMs: 0.3 }))).toEqual({ 'free space': 'ok', 'fsync latency': 'ok' });
});
