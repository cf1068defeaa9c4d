// The source: reachable, and listing what the loader would load.
import { existsSync } from 'node:fs';
import type { Config } from '@pipewarden/core';
import { openSource } from '../source';
import type { Finding } from './types';

export async function sourceFindings(config: Config, url: string | undefined): Promise<Finding[]> {
  if (!url) return [{ target: 's3', check: 'source', value: '(none)', verdict: 'warn', meaning: 'no source configured: give PIPEWARDEN_SOURCE (s3://bucket/prefix or a local path) or --source' }];
  if (!/^s3a?:\/\//.test(url) && !existsSync(url)) return [{ target: 's3', check: 'source', value: url, verdict: 'fail', meaning: 'the local source does not exist' }];
  try {
    const objects = await openSource(url, config).list();
    const bytes = objects.reduce((a, o) => a + o.size, 0);
    return [{ target: 's3', check: 'source', value: `${url}: ${objects.length} object(s), ${(bytes / 1e6).toFixed(1)} MB`, verdict: 'ok', meaning: objects.length ? 'reachable and listed' : 'reachable, but nothing to load under it yet' }];
  } catch (e) {
    return [{ target: 's3', check: 'source', value: url, verdict: 'fail', meaning: `cannot list it: ${(e as Error).message}` }];
  }
}
