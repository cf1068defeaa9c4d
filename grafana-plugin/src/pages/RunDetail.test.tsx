import React from 'react';
import { screen, within } from '@testing-library/react';

import { FakeBackend, never } from '../test/fakeBackend';
import { runDetailFixture } from '../test/fixtures';
import { renderPage } from '../test/render';
import { RunDetailContent } from './RunDetail';

const RUN = /reconciler\/runs\/run-1$/;

describe('Run detail', () => {
  it('shows a loading state first', async () => {
    new FakeBackend().on('GET', RUN, never).install();
    renderPage(<RunDetailContent runId="run-1" />);
    expect(await screen.findByText('Loading the run…')).toBeInTheDocument();
  });

  it('says who started the run, its outcome, verification, duration and counts', async () => {
    const run = runDetailFixture({ startedAt: '2026-11-29T19:44:37.000Z', finishedAt: '2026-11-29T19:44:39.400Z', durationSeconds: 2.4 });
    const backend = new FakeBackend().on('GET', RUN, { status: 200, data: run }).install();
    renderPage(<RunDetailContent runId="run-1" />);
    const summary = await screen.findByTestId('run-summary');
    expect(summary).toHaveTextContent('OutcomeSuccess');
    expect(summary).toHaveTextContent('Started byButton (alice)');
    expect(summary).toHaveTextContent('Started2026-11-29 19:44:37 UTC');
    expect(summary).toHaveTextContent('Finished2026-11-29 19:44:39 UTC');
    expect(summary).toHaveTextContent('Duration2.4 s');
    expect(summary).toHaveTextContent('Verificationok: counts and checksums match the WAL');
    expect(summary).toHaveTextContent('Batches repaired2 of 3 examined');
    expect(summary).toHaveTextContent('Rows inserted1,500');
    expect(backend.calls.map((c) => c.url)).toEqual(['api/plugin-proxy/pipewarden-pipeline-app/reconciler/runs/run-1']);
  });

  it('lists every batch: source object and records, where the rows came from, rows missing and inserted', async () => {
    new FakeBackend().on('GET', RUN, { status: 200, data: runDetailFixture() }).install();
    renderPage(<RunDetailContent runId="run-1" />);
    const rows = within(await screen.findByTestId('batch-table')).getAllByRole('row');
    expect(rows.map((r) => r.textContent)).toEqual([
      'BatchSourceRows fromRows to insertRows inserted',
      'b-0001fy2014.csv · records 1–1,000Redis mirror1,0001,000',
      'b-0002fy2014.csv · records 1,001–2,000S3 (re-read)500500',
      'b-0003fy2014.csv · records 2,001–3,000already in MySQL00',
    ]);
    expect(within(rows[1]).getByTitle('s3://nyc/fy2014.csv')).toBeInTheDocument();
  });

  it('links to the Pipeline dashboard five minutes around the run', async () => {
    const run = runDetailFixture({ startedAt: '2026-11-29T19:44:37.000Z', finishedAt: '2026-11-29T19:46:07.500Z' });
    new FakeBackend().on('GET', RUN, { status: 200, data: run }).install();
    renderPage(<RunDetailContent runId="run-1" />);
    const link = await screen.findByRole('link', { name: /Pipeline dashboard at that moment/ });
    expect(link).toHaveAttribute('href', `/d/pipewarden-pipeline?from=${Date.UTC(2026, 10, 29, 19, 39, 37)}&to=${Date.UTC(2026, 10, 29, 19, 51, 7, 500)}`);
  });

  it('shows the error of a failed run, and says when no batch needed rows', async () => {
    const run = runDetailFixture({ outcome: 'failed', verification: null, error: 'MySQL did not answer within 600 s', batches: [], rowsInserted: 0, batchesRepaired: 0 });
    new FakeBackend().on('GET', RUN, { status: 200, data: run }).install();
    renderPage(<RunDetailContent runId="run-1" />);
    expect(await screen.findByText('The run failed')).toBeInTheDocument();
    expect(screen.getByText('MySQL did not answer within 600 s')).toBeInTheDocument();
    expect(screen.getByTestId('run-summary')).toHaveTextContent('OutcomeFailed');
    expect(screen.getByTestId('no-batches')).toHaveTextContent('No batch needed rows');
  });

  it("explains an unknown run with the reconciler's words", async () => {
    new FakeBackend().on('GET', RUN, { status: 404, data: { error: 'no recorded reconcile run run-1', hint: 'dry runs are not recorded; GET /runs lists the recorded ones' } }).install();
    renderPage(<RunDetailContent runId="run-1" />);
    expect(await screen.findByTestId('problem-alert')).toHaveTextContent('no recorded reconcile run run-1. dry runs are not recorded');
  });

  it("names the run's pipeline, and leaves it out for an older reconciler", async () => {
    new FakeBackend().on('GET', /reconciler\/runs\/run-1$/, { status: 200, data: runDetailFixture({ pipeline: 'orders' }) }).install();
    const { unmount } = renderPage(<RunDetailContent runId="run-1" />);
    expect(await screen.findByTestId('run-summary')).toHaveTextContent(/Pipeline\s*orders/);
    unmount();
    const old = runDetailFixture();
    delete (old as { pipeline?: string }).pipeline;
    new FakeBackend().on('GET', /reconciler\/runs\/run-1$/, { status: 200, data: old }).install();
    renderPage(<RunDetailContent runId="run-1" />);
    expect(await screen.findByTestId('run-summary')).not.toHaveTextContent('Pipeline');
  });
});
