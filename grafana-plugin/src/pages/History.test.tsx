import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { FakeBackend, never } from '../test/fakeBackend';
import { runFixture, statusFixture } from '../test/fixtures';
import { statusWithPipelines } from '../test/pipelineFixtures';
import { renderPage } from '../test/render';
import { HistoryContent } from './History';

const RUNS = /reconciler\/runs$/;

describe('History', () => {
  it('shows a loading state first', async () => {
    new FakeBackend().on('GET', RUNS, never).install();
    renderPage(<HistoryContent />);
    expect(await screen.findByText('Loading past reconcile runs…')).toBeInTheDocument();
  });

  it('lists past runs with trigger, outcome, duration and rows inserted', async () => {
    const runs = [
      runFixture({ runId: 'r3', trigger: 'button', outcome: 'success', durationSeconds: 2.4, rowsInserted: 1500, batchesRepaired: 2, batchesExamined: 3 }),
      runFixture({ runId: 'r2', trigger: 'watchdog', outcome: 'nothing_to_do', durationSeconds: 0.3, rowsInserted: 0, batchesRepaired: 0, batchesExamined: 0 }),
      runFixture({ runId: 'r1', trigger: 'alert', outcome: 'failed', durationSeconds: 61, rowsInserted: 200, error: 'MySQL went away', verification: null }),
      runFixture({ runId: 'r0', trigger: 'button', dryRun: true, outcome: 'dry_run', rowsInserted: 0 }),
    ];
    const backend = new FakeBackend().on('GET', RUNS, { status: 200, data: { runs } }).install();
    renderPage(<HistoryContent />);
    const rows = await screen.findAllByTestId('run-row');
    expect(rows).toHaveLength(4);
    expect(rows[0]).toHaveTextContent('Button');
    expect(rows[0]).toHaveTextContent('Success');
    expect(rows[0]).toHaveTextContent('2.4 s');
    expect(rows[0]).toHaveTextContent('2 / 3');
    expect(within(rows[0]).getByText('1,500')).toBeInTheDocument();
    expect(rows[1]).toHaveTextContent('Watchdog');
    expect(rows[1]).toHaveTextContent('Nothing to do');
    expect(rows[2]).toHaveTextContent('Alert');
    expect(rows[2]).toHaveTextContent('Failed');
    expect(rows[2]).toHaveTextContent('1 min 1 s');
    expect(rows[2]).toHaveTextContent('Error: MySQL went away');
    expect(rows[3]).toHaveTextContent('Dry run');
    expect(backend.callsTo('GET', RUNS)[0].params).toEqual({ limit: 50 });
  });

  it('has a designed empty state', async () => {
    new FakeBackend().on('GET', RUNS, { status: 200, data: { runs: [] } }).install();
    renderPage(<HistoryContent />);
    expect(await screen.findByText('No reconcile has run yet')).toBeInTheDocument();
    expect(screen.getByText(/when the watchdog repairs batches after a MySQL outage/)).toBeInTheDocument();
  });

  it.each([
    [401, { error: 'invalid token' }, /The token in the app configuration is wrong/],
    [502, '', 'Is pipewarden reconciler serve running at http://127.0.0.1:9843?'],
    [500, { error: 'reconcile_runs: table missing', hint: 'run pipewarden migrate' }, /reconcile_runs: table missing\. run pipewarden migrate/],
  ])('explains HTTP %i', async (status, data, text) => {
    new FakeBackend().on('GET', RUNS, { status, data }).install();
    renderPage(<HistoryContent />);
    const alert = await screen.findByTestId('problem-alert');
    expect(alert).toHaveTextContent(text);
    // Commands are shown as code, never with Markdown's backticks.
    expect(alert.textContent).not.toContain('`');
  });

  it('gives each start time as an absolute time on hover, and every finished run a duration', async () => {
    const runs = [
      runFixture({ runId: 'r5', startedAt: '2026-11-29T19:44:37.000Z', finishedAt: '2026-11-29T19:46:07.500Z', durationSeconds: null }),
      runFixture({ runId: 'r4', startedAt: '2026-11-29T18:00:00.000Z', outcome: 'running', finishedAt: null, durationSeconds: null }),
    ];
    new FakeBackend().on('GET', RUNS, { status: 200, data: { runs } }).install();
    renderPage(<HistoryContent />);
    const rows = await screen.findAllByTestId('run-row');
    const started = rows[0].querySelector('time')!;
    expect(started).toHaveAttribute('title', '2026-11-29 19:44:37 UTC');
    expect(started).toHaveAttribute('dateTime', '2026-11-29T19:44:37.000Z');
    expect(started.textContent).toMatch(/ago$/);
    expect(rows[0]).toHaveTextContent('1 min 31 s');
    expect(rows[1]).toHaveTextContent('running');
  });

  it('says who pressed the button when the reconciler recorded it', async () => {
    const runs = [runFixture({ runId: 'r6', trigger: 'button', requestedBy: 'alice' }), runFixture({ runId: 'r7', trigger: 'watchdog' })];
    new FakeBackend().on('GET', RUNS, { status: 200, data: { runs } }).install();
    renderPage(<HistoryContent />);
    const rows = await screen.findAllByTestId('run-row');
    expect(rows[0]).toHaveTextContent('Button by alice');
    expect(rows[1]).toHaveTextContent('Watchdog');
    expect(rows[1]).not.toHaveTextContent(' by ');
  });

  it('filters by pipeline with GET /runs?pipeline= and shows each run\'s pipeline', async () => {
    const all = [runFixture({ runId: 'r2', pipeline: 'orders' }), runFixture({ runId: 'r1', pipeline: 'parking' })];
    const backend = new FakeBackend()
      .on('GET', /reconciler\/status$/, { status: 200, data: statusWithPipelines() })
      .on('GET', RUNS, (req) => {
        const p = (req.params as { pipeline?: string }).pipeline;
        return { status: 200, data: { runs: p ? all.filter((r) => r.pipeline === p) : all } };
      })
      .install();
    renderPage(<HistoryContent />);
    expect(await screen.findAllByTestId('run-row')).toHaveLength(2);
    expect(screen.getAllByTestId('run-pipeline').map((c) => c.textContent)).toEqual(['orders', 'parking']);
    await userEvent.setup().click(await screen.findByRole('radio', { name: 'orders' }));
    await waitFor(() => expect(screen.getAllByTestId('run-row')).toHaveLength(1));
    expect(screen.getByTestId('run-pipeline')).toHaveTextContent('orders');
    expect(backend.callsTo('GET', RUNS).at(-1)!.params).toEqual({ limit: 50, pipeline: 'orders' });
  });

  it('starts filtered when the URL names a pipeline (the Overview links there)', async () => {
    const backend = new FakeBackend()
      .on('GET', /reconciler\/status$/, { status: 200, data: statusWithPipelines() })
      .on('GET', RUNS, { status: 200, data: { runs: [] } })
      .install();
    renderPage(<HistoryContent />, undefined, '/history?pipeline=parking');
    expect(await screen.findByText('No reconcile of pipeline parking has run yet')).toBeInTheDocument();
    expect(backend.callsTo('GET', RUNS)[0].params).toEqual({ limit: 50, pipeline: 'parking' });
    expect(screen.getByRole('radio', { name: 'parking' })).toBeChecked();
  });

  it('against an older reconciler has no pipeline filter and no pipeline column', async () => {
    const old = runFixture({ runId: 'r1' });
    delete (old as { pipeline?: string }).pipeline;
    new FakeBackend()
      .on('GET', /reconciler\/status$/, { status: 200, data: statusFixture() })
      .on('GET', RUNS, { status: 200, data: { runs: [old] } })
      .install();
    renderPage(<HistoryContent />);
    await screen.findAllByTestId('run-row');
    expect(screen.queryByTestId('run-pipeline')).not.toBeInTheDocument();
    expect(screen.queryByRole('columnheader', { name: 'Pipeline' })).not.toBeInTheDocument();
    expect(screen.queryByRole('radio')).not.toBeInTheDocument();
  });
});
