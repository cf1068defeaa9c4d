// Per-suite services for integration tests: a private stack in a temp folder, on free
// ports, torn down (processes killed, folder removed) after the suite.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, type StackOptions } from '@pipewarden/stack';
import type { RowDataPacket } from 'mysql2';
import { connect, migrate, type Config } from '@pipewarden/core';

export interface TestStack extends Stack {
  cleanup(): Promise<void>;
}

export async function startTestStack(opts: Omit<StackOptions, 'dir'> & { migrate?: boolean } = {}): Promise<TestStack> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-test-'));
  const stack = await Stack.create({ services: ['mariadb', 'redis', 's3'], ...opts, dir });
  await stack.start();
  if (opts.migrate !== false && stack.services.includes('mariadb')) await migrate(stack.config());
  return Object.assign(stack, {
    async cleanup() {
      await stack.stop().catch(() => undefined);
      if (!process.env.PIPEWARDEN_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
    },
  }) as TestStack;
}

/**
 * The real FY2014 sample: the team's shared copy when it sits beside the repository, else
 * the identical committed copy (data/README.md gives its sha256), so a clone anywhere runs.
 */
const SHARED_COPY = join(__dirname, '..', '..', '..', 'shared', 'data', 'nyc-parking-fy2014-head.csv');
export const SHARED_SAMPLE = existsSync(SHARED_COPY) ? SHARED_COPY : join(__dirname, '..', '..', 'data', 'nyc-parking-fy2014-sample.csv');

/** One statement on a connection of its own (tests read the database between steps this way). */
export async function query(config: Config, sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  const c = await connect(config);
  try {
    return (await c.query<RowDataPacket[]>(sql, params))[0];
  } finally {
    await c.end();
  }
}
