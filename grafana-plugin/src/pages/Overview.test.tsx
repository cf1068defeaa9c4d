import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';

import { FakeBackend, never } from '../test/fakeBackend';
import { jobFixture, runFixture, statusFixture } from '../test/fixtures';
import { CONFIGURED, renderPage } from '../test/render';
import { OverviewContent } from './Overview';

const STATUS = /reconciler\/status$/;

describe('Overview', () => {
  it('shows a loading state while the reconciler has not answered', async () => {
    new FakeBackend().on('GET', STATUS, never).install();
    renderPage(<OverviewContent />);
    expect(await screen.findByText(/Asking the reconciler for the pipeline's state/)).toBeInTheDocument();
  });

  it('shows each stage with its health and the recovery figures', async () => {
    const status = statusFixture({
      mysql: { up: false },
      reconcile: { running: null, last: runFixture({ trigger: 'watchdog', rowsInserted: 2000 }) },
    });
    const backend = new FakeBackend().on('GET', STATUS, { status: 200, data: status }).install();
    renderPage(<OverviewContent />);

    const mysql = await screen.findByTestId('stage-mysql');
    expect(within(mysql).getByText('Down')).toBeInTheDocument();
    expect(within(mysql).getByText(/MySQL does not answer/)).toBeInTheDocument();
    expect(within(screen.getByTestId('stage-redis')).getByText('12 batches')).toBeInTheDocument();
    expect(within(screen.getByTestId('stage-redis')).getByText('3.0 MiB')).toBeInTheDocument();
    const doubt = screen.getByTestId('card-doubt');
    expect(within(doubt).getByText('3 in doubt')).toBeInTheDocument();
    expect(within(doubt).getByRole('link', { name: /Review and reconcile/ })).toHaveAttribute('href', '/a/pipewarden-pipeline-app/reconcile');
    const last = screen.getByTestId('card-last-reconcile');
    expect(within(last).getByText('Watchdog')).toBeInTheDocument();
    expect(within(last).getByText('2,000')).toBeInTheDocument();
    // The reconciler was asked through the app's proxy route, never directly.
    expect(backend.calls[0].url).toBe('api/plugin-proxy/pipewarden-pipeline-app/reconciler/status');
  });

  it('gives every badge the same casing: sentence case, words not joined by underscores', async () => {
    const status = statusFixture({
      loader: { reachable: true, state: 'waiting_mysql', url: 'http://127.0.0.1:9842' },
      reconcile: { running: null, last: runFixture({ outcome: 'nothing_to_do' }) },
    });
    new FakeBackend().on('GET', STATUS, { status: 200, data: status }).install();
    renderPage(<OverviewContent />);
    await screen.findByTestId('stage-mysql');
    const badges = screen
      .getAllByRole('region')
      .map((card) => card.querySelector(':scope > header > :last-child')?.textContent)
      .filter((t): t is string => Boolean(t));
    expect(badges).toEqual(expect.arrayContaining(['Waiting mysql', 'Up', '3 in doubt', 'Nothing to do', 'On']));
    for (const text of badges) {
      expect(text).not.toContain('_');
      expect(text.charAt(0)).toBe(text.charAt(0).toUpperCase());
    }
  });

  it('links the three bundled dashboards by uid', async () => {
    new FakeBackend().on('GET', STATUS, { status: 200, data: statusFixture() }).install();
    renderPage(<OverviewContent />);
    expect(await screen.findByRole('link', { name: /Pipeline/ })).toHaveAttribute('href', '/d/pipewarden-pipeline');
    expect(screen.getByRole('link', { name: /MySQL/ })).toHaveAttribute('href', '/d/pipewarden-mysql');
    expect(screen.getByRole('link', { name: /Host/ })).toHaveAttribute('href', '/d/pipewarden-host');
  });

  it('shows the running reconcile instead of the last one', async () => {
    const running = jobFixture({ trigger: 'alert', progress: { phase: 'repair', batchesTotal: 4, batchesDone: 1, rowsMissing: 900, rowsInserted: 300 } });
    new FakeBackend().on('GET', STATUS, { status: 200, data: statusFixture({ reconcile: { running, last: null } }) }).install();
    renderPage(<OverviewContent />);
    const last = await screen.findByTestId('card-last-reconcile');
    expect(within(last).getByText('Running')).toBeInTheDocument();
    expect(within(last).getByText('1 of 4')).toBeInTheDocument();
    expect(within(last).getByText('Inserting the missing rows')).toBeInTheDocument();
  });

  it('adds throughput and row counts from the loader when its URL is configured', async () => {
    new FakeBackend()
      .on('GET', STATUS, { status: 200, data: statusFixture() })
      .on('GET', /loader\/status$/, {
        status: 200,
        data: {
          state: 'running',
          engine: 'spark',
          source: 's3://nyc-parking/fy2014/',
          rowsIn: 50000,
          rowsLoaded: 48000,
          rowsRejected: 1200,
          rowsDuplicate: 800,
          bytesRead: 1024,
          bytesTotal: 4096,
          rowsPerSecond: 31250,
          updatedAt: new Date().toISOString(),
        },
      })
      .install();
    renderPage(<OverviewContent />, { ...CONFIGURED, loaderUrl: 'http://127.0.0.1:9842' });
    expect(await screen.findByText('31,250 rows/s')).toBeInTheDocument();
    expect(screen.getByText('Engine (spark)')).toBeInTheDocument();
    expect(within(screen.getByTestId('stage-mysql')).getByText('48,000')).toBeInTheDocument();
    expect(within(screen.getByTestId('stage-mysql')).getByText('1,200')).toBeInTheDocument();
    expect(screen.getByText('s3://nyc-parking/fy2014/')).toBeInTheDocument();
  });

  it('says how to get throughput when the loader URL is not configured', async () => {
    new FakeBackend().on('GET', STATUS, { status: 200, data: statusFixture() }).install();
    renderPage(<OverviewContent />);
    expect(await screen.findByText(/Add the loader URL on the configuration page/)).toBeInTheDocument();
  });

  it('tells an unconfigured app what to do and sends no request', async () => {
    const backend = new FakeBackend().install();
    renderPage(<OverviewContent />, {});
    expect(await screen.findByText('The app is not configured yet')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Open the app configuration/ })).toHaveAttribute('href', '/plugins/pipewarden-pipeline-app');
    expect(backend.calls).toHaveLength(0);
  });

  it('explains a 401 as a wrong token', async () => {
    new FakeBackend().on('GET', STATUS, { status: 401, data: { error: 'invalid bearer token' } }).install();
    renderPage(<OverviewContent />);
    expect(await screen.findByText('The reconciler rejected the token')).toBeInTheDocument();
    expect(screen.getByText(/The token in the app configuration is wrong or missing/)).toBeInTheDocument();
  });

  it('explains a 502 as an unreachable reconciler at the configured URL', async () => {
    new FakeBackend().on('GET', STATUS, { status: 502, data: '' }).install();
    renderPage(<OverviewContent />);
    expect(await screen.findByText('Cannot reach the reconciler')).toBeInTheDocument();
    expect(screen.getByTestId('problem-alert')).toHaveTextContent('Is pipewarden reconciler serve running at http://127.0.0.1:9843?');
    expect(screen.getByTestId('problem-alert').textContent).not.toContain('`');
    // Dashboards stay reachable even when the reconciler is not.
    expect(screen.getByRole('link', { name: /Pipeline/ })).toBeInTheDocument();
  });

  it('shows a 500 with the reconciler error and hint', async () => {
    new FakeBackend().on('GET', STATUS, { status: 500, data: { error: 'cannot read WAL segment 3', hint: 'check permissions of the WAL folder' } }).install();
    renderPage(<OverviewContent />);
    expect(await screen.findByText('The reconciler failed')).toBeInTheDocument();
    expect(screen.getByText(/cannot read WAL segment 3\. check permissions of the WAL folder/)).toBeInTheDocument();
  });

  it('says when nothing has been loaded yet', async () => {
    const empty = statusFixture({ wal: { bytes: 0, segments: 0, batchesInDoubt: 0, tornTail: false }, redis: { up: true, mirrorBatches: 0, mirrorBytes: 0 } });
    new FakeBackend().on('GET', STATUS, { status: 200, data: empty }).install();
    renderPage(<OverviewContent />);
    expect(await screen.findByText('Nothing has been loaded yet')).toBeInTheDocument();
    expect(within(screen.getByTestId('card-doubt')).getByText('None')).toBeInTheDocument();
  });

  it('refreshes live: a later poll replaces the figures', async () => {
    let inDoubt = 3;
    new FakeBackend().on('GET', STATUS, () => ({ status: 200, data: statusFixture({ wal: { bytes: 1, segments: 1, batchesInDoubt: inDoubt, tornTail: false } }) })).install();
    renderPage(<OverviewContent />);
    expect(await screen.findByText('3 in doubt')).toBeInTheDocument();
    inDoubt = 0;
    await waitFor(() => expect(within(screen.getByTestId('card-doubt')).getByText('None')).toBeInTheDocument(), { timeout: 5000 });
  });

  it('shows a failed reconcile and the loader it keeps paused', async () => {
    const since = new Date(Date.now() - 20 * 60_000).toISOString();
    const status = statusFixture({
      loader: { reachable: true, state: 'paused', url: 'http://127.0.0.1:9842', pausedBy: { by: 'reconcile', runId: 'run-4', since, error: 'the loader service answered 401' } },
      reconcile: { running: null, last: runFixture(), lastFailure: { runId: 'run-4', trigger: 'alert', error: 'the loader service answered 401', finishedAt: since } },
    });
    new FakeBackend().on('GET', STATUS, { status: 200, data: status }).install();
    renderPage(<OverviewContent />);
    expect(await screen.findByTestId('recovery-blocked')).toHaveTextContent('The last reconcile run failed: the loader stays paused until a run succeeds');
    const last = screen.getByTestId('card-last-reconcile');
    expect(within(last).getByText('Failed')).toBeInTheDocument();
    expect(within(last).getByText('Error: the loader service answered 401')).toBeInTheDocument();
    expect(screen.getByText(/Paused by a reconcile run that failed \(the loader service answered 401\)/)).toBeInTheDocument();
  });
});
