import { FakeBackend } from '../test/fakeBackend';
import { jobFixture, runFixture } from '../test/fixtures';
import { reconcileRequest } from '../components/Reconcile/reconcileFlow';
import { listRuns, startReconcile } from './reconciler';

const RUNS = /reconciler\/runs$/;
const POST = /reconciler\/reconcile$/;

describe('the reconciler client', () => {
  it('asks GET /runs for one pipeline with ?pipeline=, on the exact runs route', async () => {
    const backend = new FakeBackend().on('GET', RUNS, { status: 200, data: { runs: [runFixture({ pipeline: 'orders' })] } }).install();
    const runs = await listRuns(50, 'orders');
    expect(runs[0].pipeline).toBe('orders');
    expect(backend.calls[0].url).toBe('api/plugin-proxy/pipewarden-pipeline-app/reconciler/runs');
    expect(backend.calls[0].params).toEqual({ limit: 50, pipeline: 'orders' });
  });

  it('sends no pipeline parameter for every pipeline', async () => {
    const backend = new FakeBackend().on('GET', RUNS, { status: 200, data: { runs: [] } }).install();
    await listRuns(50);
    expect(backend.calls[0].params).toEqual({ limit: 50 });
  });

  it('POSTs {pipeline} for one pipeline and no pipeline field for all of them', async () => {
    const backend = new FakeBackend().on('POST', POST, { status: 202, data: jobFixture() }).install();
    await startReconcile(reconcileRequest(true, 'orders'));
    await startReconcile(reconcileRequest(false, undefined));
    expect(backend.calls.map((c) => c.data)).toEqual([
      { dryRun: true, trigger: 'button', pipeline: 'orders' },
      { dryRun: false, trigger: 'button' },
    ]);
    expect('pipeline' in (backend.calls[1].data as object)).toBe(false);
  });
});
