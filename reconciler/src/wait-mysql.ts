// The wait for MySQL: a run may start while MySQL is still down (the watchdog reconciles
// after a crash), so it waits for MySQL to answer, up to a deadline, before it reads the ledger.
import { UserError, pingMysql, type Config, type Logger } from '@pipewarden/core';

/** How long a run waits for MySQL to answer, by default. */
export const MYSQL_WAIT_SECONDS = 600;

export interface MysqlWait {
  /** How long to wait (default MYSQL_WAIT_SECONDS), unless `deadline` (ms since the epoch) says when the wait ends. */
  seconds?: number;
  deadline?: number;
  /** Throws when the run was cancelled; called between pings. */
  checkCancelled: () => void;
  log: Logger;
}

/** Returns once MySQL answers; a UserError when it did not by the deadline. */
export async function waitForMysql(config: Config, wait: MysqlWait): Promise<void> {
  const seconds = wait.seconds ?? MYSQL_WAIT_SECONDS;
  const deadline = wait.deadline ?? Date.now() + seconds * 1000;
  let logged = false;
  while (!(await pingMysql(config, 2000))) {
    wait.checkCancelled();
    if (Date.now() > deadline) throw new UserError(`MySQL did not answer within ${seconds} s`, 'start MySQL (or fix PIPEWARDEN_MYSQL_URL), then reconcile again');
    if (!logged) wait.log.info('waiting for MySQL to answer');
    logged = true;
    await new Promise((r) => setTimeout(r, 500));
  }
  wait.checkCancelled();
}
