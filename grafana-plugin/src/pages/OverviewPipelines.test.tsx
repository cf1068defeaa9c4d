import React from 'react';
import { OrgRole } from '@grafana/data';
import { config } from '@grafana/runtime';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import type { ReconcileJob, ReconcileRequest } from '../api/types';
import { ReconcilePanel } from '../components/Reconcile/ReconcilePanel';
import { FakeBackend } from '../test/fakeBackend';
import { jobFixture, reportFixture, statusFixture } from '../test/fixtures';
import { loaderPipeline, loaderWithPipelines, statusWithPipelines } from '../test/pipelineFixtures';
import { CONFIGURED, renderPage } from '../test/render';
import { OverviewContent } from './Overview';

const STATUS = /reconciler\/status$/;
const LOADER = /loader\/status$/;
const POST = /reconciler\/reconcile$/;
const WITH_LOADER = { ...CONFIGURED, loaderUrl: 'http://127.0.0.1:9842' };

/** A reconciler (and loader) with two pipelines whose jobs finish at once; records every POST /reconcile body. */
function twoPipelines() {
  const jobs = new Map<string, ReconcileJob>();
  let n = 0;
  const backend = new FakeBackend()
    .on('GET', STATUS, { status: 200, data: statusWithPipelines() })
    .on('GET', LOADER, { status: 200, data: loaderWithPipelines() })
    .on('POST', POST, (req) => {
      const body = req.data as ReconcileRequest;
      const id = `job-${++n}`;
      const job = jobFixture({
        id,
        pipeline: body.pipeline ?? null,
        dryRun: Boolean(body.dryRun),
        state: 'succeeded',
        result: reportFixture({ pipeline: body.pipeline ?? null, dryRun: Boolean(body.dryRun), outcome: body.dryRun ? 'dry_run' : 'success', rowsInserted: body.dryRun ? 0 : 1500 }),
      });
      jobs.set(id, job);
      return { status: 202, data: job };
    })
    .on('GET', /reconciler\/reconcile\/([^/]+)$/, (req) => ({ status: 200, data: jobs.get(/reconcile\/([^/]+)$/.exec(req.url)![1]) }))
    .install();
  return backend;
}

async function reconcileFrom(button: HTMLElement) {
  const user = userEvent.setup();
  await waitFor(() => expect(button).toBeEnabled());
  await user.click(button);
  const dialog = await screen.findByRole('dialog');
  const confirm = within(dialog).getByRole('button', { name: /^Reconcile & restart$/ });
  await waitFor(() => expect(confirm).toBeEnabled());
  await user.click(confirm);
  await screen.findByTestId('job-result');
  return dialog;
}

describe('the Overview with pipelines', () => {
  afterEach(() => {
    config.bootData.user.orgRole = OrgRole.Admin;
    delete (config.bootData.user as { permissions?: Record<string, boolean> }).permissions;
  });

  it('lists every pipeline: dataset → table, state, rows, progress, in doubt, last reconcile and who pressed it', async () => {
    twoPipelines();
    renderPage(<OverviewContent />, WITH_LOADER);
    const rows = await screen.findAllByTestId('pipeline-row');
    expect(rows.map((r) => r.getAttribute('data-pipeline'))).toEqual(['parking', 'orders']);
    expect(rows[0]).toHaveTextContent('nyc-parking-violations → parking_violations');
    expect(within(rows[0]).getByText('48,000')).toBeInTheDocument();
    expect(within(rows[0]).getByText('1,200')).toBeInTheDocument();
    expect(within(rows[0]).getByText('800')).toBeInTheDocument();
    expect(within(rows[0]).getByText('50%')).toBeInTheDocument();
    expect(rows[0]).toHaveTextContent('Success');
    expect(rows[0]).toHaveTextContent('Button by alice');
    expect(within(rows[0]).getByRole('link', { name: 'History of parking' })).toHaveAttribute('href', '/a/pipewarden-pipeline-app/history?pipeline=parking');
    expect(rows[1]).toHaveTextContent('shop-orders → orders');
    expect(rows[1]).toHaveTextContent('Paused');
    expect(within(rows[1]).getByText('25%')).toBeInTheDocument();
    expect(within(rows[1]).getByText('2')).toBeInTheDocument();
    expect(rows[1]).toHaveTextContent('never');
    // The aggregate figures stay: the loader's sums on the MySQL stage.
    expect(within(screen.getByTestId('stage-mysql')).getByText('55,000')).toBeInTheDocument();
  });

  it("a pipeline's Reconcile & restart previews and runs that pipeline only", async () => {
    const backend = twoPipelines();
    renderPage(<OverviewContent />, WITH_LOADER);
    const dialog = await reconcileFrom(await screen.findByRole('button', { name: 'Reconcile & restart orders' }));
    expect(dialog).toHaveTextContent('Reconcile & restart pipeline orders?');
    expect(backend.callsTo('POST', POST).map((c) => c.data)).toEqual([
      { dryRun: true, trigger: 'button', pipeline: 'orders' },
      { dryRun: false, trigger: 'button', pipeline: 'orders' },
    ]);
    expect(screen.getByTestId('job-target')).toHaveTextContent('Reconcile of pipeline orders');
  });

  it('Reconcile & restart all sends no pipeline', async () => {
    const backend = twoPipelines();
    renderPage(<OverviewContent />, WITH_LOADER);
    const dialog = await reconcileFrom(await screen.findByRole('button', { name: 'Reconcile & restart all' }));
    expect(dialog).toHaveTextContent('Reconcile & restart all 2 pipelines?');
    const bodies = backend.callsTo('POST', POST).map((c) => c.data as object);
    expect(bodies).toEqual([
      { dryRun: true, trigger: 'button' },
      { dryRun: false, trigger: 'button' },
    ]);
    expect(bodies.every((b) => !('pipeline' in b))).toBe(true);
  });

  it('shows a Viewer the pipelines without any button', async () => {
    config.bootData.user.orgRole = OrgRole.Viewer;
    Object.assign(config.bootData.user, { permissions: { 'pipewarden-pipeline-app.reconcile:read': true } });
    twoPipelines();
    renderPage(<OverviewContent />, WITH_LOADER);
    const table = await screen.findByTestId('pipelines-table');
    expect(within(table).getAllByTestId('pipeline-row')).toHaveLength(2);
    expect(within(screen.getByTestId('pipelines')).queryAllByRole('button')).toHaveLength(0);
  });

  it('one pipeline: its row has the button, and there is no "all" button', async () => {
    new FakeBackend()
      .on('GET', STATUS, { status: 200, data: statusFixture({ pipelines: [{ name: 'default', dataset: 'nyc-parking-violations', table: 'parking_violations', wal: statusFixture().wal, last: null }] }) })
      .on('GET', LOADER, { status: 200, data: loaderWithPipelines([loaderPipeline()]) })
      .install();
    renderPage(<OverviewContent />, WITH_LOADER);
    await screen.findByRole('button', { name: 'Reconcile & restart default' });
    expect(screen.queryByRole('button', { name: /all/ })).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { name: '1 pipeline' })).toBeInTheDocument();
  });

  it('against services older than pipelines shows the stages and no pipelines table', async () => {
    const old = statusFixture();
    delete (old as { pipelines?: unknown }).pipelines;
    new FakeBackend()
      .on('GET', STATUS, { status: 200, data: old })
      .on('GET', LOADER, { status: 200, data: { ...loaderWithPipelines(), pipelines: undefined } })
      .install();
    renderPage(<OverviewContent />, WITH_LOADER);
    await screen.findByTestId('stage-mysql');
    expect(within(screen.getByTestId('stage-mysql')).getByText('55,000')).toBeInTheDocument();
    expect(screen.queryByTestId('pipelines-table')).not.toBeInTheDocument();
  });
});

describe('the Reconcile page with pipelines', () => {
  it('the main button reconciles all of them, each row its own', async () => {
    const backend = twoPipelines();
    renderPage(<ReconcilePanel />, WITH_LOADER);
    expect(await screen.findAllByTestId('pipeline-row')).toHaveLength(2);
    await reconcileFrom(screen.getByRole('button', { name: 'Reconcile & restart parking' }));
    expect(backend.callsTo('POST', POST).map((c) => (c.data as ReconcileRequest).pipeline)).toEqual(['parking', 'parking']);
    expect(screen.getByRole('button', { name: 'Reconcile & restart all' })).toBeInTheDocument();
  });

  it('keeps the wording of before with one pipeline, or against an older reconciler', async () => {
    new FakeBackend().on('GET', STATUS, { status: 200, data: statusFixture() }).install();
    renderPage(<ReconcilePanel />);
    expect(await screen.findByRole('button', { name: 'Reconcile & restart' })).toBeInTheDocument();
    expect(screen.queryByTestId('pipelines-table')).not.toBeInTheDocument();
  });
});
