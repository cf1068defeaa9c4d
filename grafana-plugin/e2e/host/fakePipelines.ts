// A stand-in reconciler and loader that run two pipelines, for the e2e's pipeline steps: the
// real services of the stack run one. Served under /reconciler and /loader of one port (the
// app's settings point reconcilerUrl and loaderUrl there); it answers the API of
// core/src/api.ts and records every POST /reconcile body and GET /runs query, which is what
// the steps check: that the app sent {pipeline} for one pipeline and nothing for all.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { LoaderPipelineStatus, LoaderStatus, ReconcileJob, ReconcileRequest, ReconcileRun, ReconcilerStatus } from '../../../core/src/api';

export const FAKE_PIPELINES = ['parking', 'orders'] as const;

const now = () => new Date().toISOString();

function loaderPipeline(name: string, dataset: string, table: string, rowsLoaded: number): LoaderPipelineStatus {
  return { name, dataset, table, state: 'running', engine: 'inline', rowsIn: rowsLoaded + 10, rowsLoaded, rowsRejected: 7, rowsDuplicate: 3, bytesRead: 300, bytesTotal: 600, rowsPerSecond: 50, updatedAt: now() };
}

function run(runId: string, pipeline: string, requestedBy: string | null): ReconcileRun {
  return {
    runId,
    pipeline,
    trigger: requestedBy ? 'button' : 'watchdog',
    dryRun: false,
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    finishedAt: new Date(Date.now() - 58_000).toISOString(),
    durationSeconds: 2,
    batchesExamined: 2,
    batchesRepaired: 1,
    rowsMissing: 100,
    rowsInserted: 100,
    outcome: 'success',
    verification: 'ok',
    error: null,
    requestedBy,
  };
}

export class FakePipelines {
  /** Every POST /reconcile body, in order. */
  readonly posts: ReconcileRequest[] = [];
  /** Every GET /runs query string. */
  readonly runQueries: string[] = [];
  private readonly jobs = new Map<string, ReconcileJob>();
  private readonly runs = [run('run-orders-1', 'orders', 'alice'), run('run-parking-1', 'parking', null)];
  private server?: http.Server;
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const [status, body] = this.answer(req.method ?? 'GET', new URL(req.url ?? '/', 'http://fake'), Buffer.concat(chunks).toString());
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private status(): ReconcilerStatus {
    const wal = (batchesInDoubt: number) => ({ bytes: 4096, segments: 1, batchesInDoubt, tornTail: false });
    return {
      mysql: { up: true },
      redis: { up: true, mirrorBatches: 2, mirrorBytes: 8192 },
      loader: { reachable: true, state: 'running', url: `${this.url}/loader` },
      wal: { bytes: 8192, segments: 2, batchesInDoubt: 1, tornTail: false },
      pipelines: [
        { name: 'parking', dataset: 'nyc-parking-violations', table: 'parking_violations', wal: wal(0), last: this.runs[1] },
        { name: 'orders', dataset: 'shop-orders', table: 'orders', wal: wal(1), last: this.runs[0] },
      ],
      reconcile: { running: null, last: this.runs[0] },
      watchdog: { enabled: false, lastDecision: null, lastDecisionAt: null },
    };
  }

  private loader(): LoaderStatus {
    const pipelines = [loaderPipeline('parking', 'nyc-parking-violations', 'parking_violations', 4000), loaderPipeline('orders', 'shop-orders', 'orders', 600)];
    return { ...pipelines[0], pipelines, rowsLoaded: 4600, rowsIn: 4620, rowsRejected: 14, rowsDuplicate: 6, bytesRead: 600, bytesTotal: 1200, rowsPerSecond: 100 };
  }

  private answer(method: string, url: URL, body: string): [number, unknown] {
    const p = url.pathname;
    if (method === 'GET' && p === '/loader/status') {
      return [200, this.loader()];
    }
    if (method === 'GET' && p === '/reconciler/status') {
      return [200, this.status()];
    }
    if (method === 'GET' && p === '/reconciler/runs') {
      this.runQueries.push(url.search);
      const pipeline = url.searchParams.get('pipeline');
      return [200, { runs: pipeline ? this.runs.filter((r) => r.pipeline === pipeline) : this.runs }];
    }
    if (method === 'POST' && p === '/reconciler/reconcile') {
      const req = JSON.parse(body || '{}') as ReconcileRequest;
      this.posts.push(req);
      if (req.pipeline !== undefined && !(FAKE_PIPELINES as readonly string[]).includes(req.pipeline)) {
        return [404, { error: `no pipeline ${req.pipeline}` }];
      }
      const id = `fake-job-${this.posts.length}`;
      const pipeline = req.pipeline ?? null;
      const dryRun = Boolean(req.dryRun);
      const job: ReconcileJob = {
        id,
        pipeline,
        state: 'succeeded',
        dryRun,
        trigger: 'button',
        createdAt: now(),
        finishedAt: now(),
        progress: { phase: 'done', batchesTotal: 1, batchesDone: 1, rowsMissing: 100, rowsInserted: dryRun ? 0 : 100 },
        result: {
          runId: `run-${id}`,
          pipeline,
          dryRun,
          trigger: 'button',
          batchesExamined: 1,
          batchesRepaired: 1,
          rowsMissing: 100,
          rowsInserted: dryRun ? 0 : 100,
          verification: dryRun ? 'skipped' : 'ok',
          outcome: dryRun ? 'dry_run' : 'success',
          durationSeconds: 0.1,
          loaderRestarted: !dryRun,
          batches: [{ batchId: 'b-1', sourceKey: 's3://fake/x.csv', firstRecord: 1, records: 100, source: 'mirror', rowsMissing: 100, rowsInserted: dryRun ? 0 : 100 }],
        },
      };
      this.jobs.set(id, job);
      return [202, job];
    }
    const m = /^\/reconciler\/reconcile\/([^/]+)$/.exec(p);
    if (method === 'GET' && m) {
      const job = this.jobs.get(m[1]);
      return job ? [200, job] : [404, { error: `no job ${m[1]}` }];
    }
    return [404, { error: `the fake has no ${method} ${p}` }];
  }
}
