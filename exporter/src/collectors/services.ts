// The loader's state per pipeline (GET /status with the bearer token) and the probes of
// every target (service-level: no pipeline).
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_PIPELINE, isNetworkError, LOADER_STATES, PROBE_TARGETS, type Config, type LoaderState, type LoaderStatus, type ProbeTarget } from '@pipewarden/core';
import { deadline, httpGet, type MysqlClient, type RedisClient } from '../clients';
import type { Collector, Sample } from '../collector';
import { isS3Url, parseS3Url } from '@pipewarden/loader';
import type { WatchedPipeline } from '../pipelines';

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/** One-hot per pipeline: 1 for its current state, 0 for every other, so `== 1` selects the state. */
export function loaderStateSamples(states: readonly { pipeline: string; state: LoaderState }[]): Sample[] {
  return states.flatMap(({ pipeline, state }) => LOADER_STATES.map((s) => ({ labels: { pipeline, state: s }, value: s === state ? 1 : 0 })));
}

function checkedState(state: unknown, where: string): LoaderState {
  if (typeof state !== 'string' || !(LOADER_STATES as readonly string[]).includes(state)) throw new Error(`the loader's /status reports an unknown state ${JSON.stringify(state)}${where}`);
  return state as LoaderState;
}

/**
 * Each pipeline's state from a /status body: its `pipelines`, or, from a loader older
 * than pipelines, the top-level state as pipeline `default` (what it ran).
 */
export function loaderStates(status: Partial<LoaderStatus>): { pipeline: string; state: LoaderState }[] {
  if (!Array.isArray(status.pipelines)) return [{ pipeline: DEFAULT_PIPELINE, state: checkedState(status.state, '') }];
  return status.pipelines.map((p) => {
    if (typeof p?.name !== 'string') throw new Error('the loader\'s /status lists a pipeline without a name');
    return { pipeline: p.name, state: checkedState(p.state, ` for pipeline ${p.name}`) };
  });
}

/**
 * A loader that does not answer is "unreachable" (that is a state worth alerting on).
 * One that answers but refuses the token or sends something unreadable is a
 * configuration problem: the collector fails and says why, and the series is absent.
 */
export function loaderCollector(config: Config, pipelines: readonly string[], timeoutMs: number): Collector {
  return {
    name: 'loader',
    metrics: ['loaderState'],
    async collect(signal) {
      if (!config.token) throw new Error('no control token configured (PIPEWARDEN_TOKEN): cannot read the loader\'s /status');
      let res: { status: number; body: string };
      try {
        res = await httpGet(joinUrl(config.loader.url, '/status'), {
          headers: { authorization: `Bearer ${config.token}`, accept: 'application/json' },
          signal: deadline(signal, timeoutMs),
        });
      } catch (e) {
        // Refused, reset, unresolvable or past the deadline: the loader is not there. Anything
        // else is a bug of ours and fails the collector (which logs it).
        if (isNetworkError(e)) return { loaderState: loaderStateSamples(pipelines.map((pipeline) => ({ pipeline, state: 'unreachable' }))) };
        throw e;
      }
      if (res.status === 401 || res.status === 403) throw new Error(`the loader refused the exporter's token (HTTP ${res.status}); check PIPEWARDEN_TOKEN`);
      if (res.status !== 200) throw new Error(`the loader's /status answered HTTP ${res.status}`);
      let status: Partial<LoaderStatus>;
      try {
        status = JSON.parse(res.body) as Partial<LoaderStatus>;
      } catch {
        throw new Error('the loader\'s /status did not answer JSON');
      }
      return { loaderState: loaderStateSamples(loaderStates(status ?? {})) };
    },
  };
}

export type Probe = (signal: AbortSignal) => Promise<void>;

async function httpOk(url: string, signal: AbortSignal): Promise<void> {
  const res = await httpGet(url, { signal, maxBytes: 4096 });
  if (res.status !== 200) throw new Error(`${url} answered HTTP ${res.status}`);
}

/** Rejects after `ms` even when the operation ignores its signal (mysql2, ioredis). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

export interface ProbeDeps {
  config: Config;
  /** The watched pipelines: their sources as the loader derives them. */
  pipelines: readonly Pick<WatchedPipeline, 'source'>[];
  db: MysqlClient;
  redis: RedisClient;
  s3: S3Client;
  timeoutMs: number;
}

/** The probe of each target; a target with nothing to probe (S3 with a local source) is left out. */
export function probes(d: ProbeDeps): Partial<Record<ProbeTarget, Probe>> {
  const t = d.timeoutMs;
  // S3 is the deployment's: probe the bucket of the first pipeline reading S3.
  const bucket = d.pipelines.map((p) => (p.source && isS3Url(p.source) ? parseS3Url(p.source).bucket : undefined)).find(Boolean);
  return {
    mysql: async () => void (await within(d.db.query('SELECT 1'), t, 'MySQL')),
    redis: async () => void (await within(d.redis.ready().then((r) => r.ping()), t, 'Redis')),
    ...(bucket ? { s3: async (signal: AbortSignal) => void (await d.s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: deadline(signal, t) })) } : {}),
    loader: (signal) => httpOk(joinUrl(d.config.loader.url, '/healthz'), deadline(signal, t)),
    reconciler: (signal) => httpOk(joinUrl(d.config.reconciler.url, '/healthz'), deadline(signal, t)),
  };
}

/** pipewarden_up and pipewarden_probe_duration_seconds: every probe at once, each with its own timeout. */
export function probeCollector(list: Partial<Record<ProbeTarget, Probe>>): Collector {
  return {
    name: 'probes',
    metrics: ['up', 'probeDuration'],
    async collect(signal) {
      const targets = PROBE_TARGETS.filter((t) => list[t]);
      const results = await Promise.all(
        targets.map(async (target) => {
          const started = process.hrtime.bigint();
          const up = await list[target]!(signal).then(
            () => 1,
            () => 0,
          );
          return { target, up, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
        }),
      );
      return {
        up: results.map((r) => ({ labels: { target: r.target }, value: r.up })),
        probeDuration: results.map((r) => ({ labels: { target: r.target }, value: r.seconds })),
      };
    },
  };
}
