import React from 'react';
import { OrgRole } from '@grafana/data';
import { config } from '@grafana/runtime';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import type { ReconcileJob, ReconcileRequest } from '../../api/types';
import { FakeBackend, type FakeReply, never } from '../../test/fakeBackend';
import { jobFixture, reportFixture, statusFixture } from '../../test/fixtures';
import { renderPage } from '../../test/render';
import { ReconcilePanel } from './ReconcilePanel';

const STATUS = /reconciler\/status$/;
const POST = /reconciler\/reconcile$/;
const JOB = /reconciler\/reconcile\/([^/]+)$/;
const CANCEL = /reconciler\/reconcile\/([^/]+)\/cancel$/;

function button() {
  return screen.getByRole('button', { name: /Reconcile & restart/ });
}

/** A reconciler whose dry run finds 1,500 missing rows and whose real run inserts them. */
function reconcilerWithDoubt() {
  const jobs = new Map<string, ReconcileJob>();
  const backend = new FakeBackend()
    .on('GET', STATUS, { status: 200, data: statusFixture() })
    .on('POST', POST, (req) => {
      const body = req.data as ReconcileRequest;
      const id = body.dryRun ? 'dry-1' : 'run-1';
      const job = jobFixture({ id, dryRun: Boolean(body.dryRun), trigger: 'button', progress: { phase: 'lock', batchesTotal: 0, batchesDone: 0, rowsMissing: 0, rowsInserted: 0 } });
      jobs.set(id, job);
      // A copy, as over HTTP: the cache must not share the object this fake mutates.
      return { status: 202, data: JSON.parse(JSON.stringify(job)) };
    })
    .on('GET', JOB, (req) => {
      const id = JOB.exec(req.url)![1];
      const job = jobs.get(id);
      if (!job) {
        return { status: 404, data: { error: `no job ${id}` } };
      }
      // First poll: in progress; later polls: finished.
      if (job.progress.phase === 'lock') {
        job.progress = { phase: 'repair', batchesTotal: 3, batchesDone: 1, rowsMissing: 1500, rowsInserted: job.dryRun ? 0 : 1000 };
        return { status: 200, data: { ...job } };
      }
      const result = reportFixture({ dryRun: job.dryRun, rowsInserted: job.dryRun ? 0 : 1500, outcome: job.dryRun ? 'dry_run' : 'success' });
      return { status: 200, data: { ...job, state: 'succeeded', progress: { ...job.progress, phase: 'done', batchesDone: 3 }, result } };
    })
    .install();
  return backend;
}

/** A dry run that has finished: its preview offers the real run at once. */
function dryRunDone(id: string): ReconcileJob {
  return jobFixture({ id, dryRun: true, state: 'succeeded', result: reportFixture({ dryRun: true, outcome: 'dry_run', rowsInserted: 0 }) });
}

/**
 * A reconciler that answers the dry run with `dry` and the real run with `realResponse`;
 * renders the panel, presses the button and waits for the preview's confirm button.
 */
async function openPreview(dry: ReconcileJob, realResponse: FakeReply) {
  const user = userEvent.setup();
  const backend = new FakeBackend()
    .on('GET', STATUS, { status: 200, data: statusFixture() })
    .on('POST', POST, (req) => ((req.data as ReconcileRequest).dryRun ? { status: 202, data: dry } : realResponse))
    .on('GET', new RegExp(`reconcile/${dry.id}$`), { status: 200, data: dry });
  if (realResponse.status === 202) {
    // The run started: its job is polled too.
    backend.on('GET', new RegExp(`reconcile/${(realResponse.data as ReconcileJob).id}$`), { status: 200, data: realResponse.data });
  }
  backend.install();
  renderPage(<ReconcilePanel />);
  await waitFor(() => expect(button()).toBeEnabled());
  await user.click(button());
  const dialog = await screen.findByRole('dialog');
  await waitFor(() => expect(within(dialog).getByRole('button', { name: /^Reconcile/ })).toBeEnabled());
  return { backend, dialog, user };
}

describe('ReconcilePanel', () => {
  afterEach(() => {
    config.bootData.user.orgRole = OrgRole.Admin;
    delete (config.bootData.user as { permissions?: Record<string, boolean> }).permissions;
  });

  it('enables the button when the reconciler answers and nothing runs', async () => {
    reconcilerWithDoubt();
    renderPage(<ReconcilePanel />);
    await waitFor(() => expect(button()).toBeEnabled());
    expect(screen.queryByTestId('disabled-reason')).not.toBeInTheDocument();
    expect(screen.getByTestId('doubt-summary')).toHaveTextContent('Batches in doubt now: 3');
  });

  it('is disabled, with the reason and the live progress, while the watchdog runs one', async () => {
    const running = jobFixture({ id: 'wd-1', trigger: 'watchdog' });
    new FakeBackend()
      .on('GET', STATUS, { status: 200, data: statusFixture({ reconcile: { running, last: null } }) })
      .on('GET', JOB, { status: 200, data: running })
      .install();
    renderPage(<ReconcilePanel />);
    await waitFor(() =>
      expect(screen.getByTestId('disabled-reason')).toHaveTextContent('A reconcile run started by Watchdog is in progress (inserting the missing rows); one run at a time.')
    );
    expect(button()).toBeDisabled();
    await waitFor(() => expect(screen.getByTestId('job-progress-counts')).toHaveTextContent('1 of 3 batches · 1,000 of 1,500 missing rows inserted'), { timeout: 3000 });
  });

  it('is disabled while the reconciler is unreachable, and says so', async () => {
    new FakeBackend().on('GET', STATUS, { status: 502, data: '' }).install();
    renderPage(<ReconcilePanel />);
    await waitFor(() => expect(screen.getByTestId('disabled-reason')).toHaveTextContent('The reconciler is unreachable'));
    expect(button()).toBeDisabled();
    // The command is shown as code, never with Markdown's backticks.
    const alert = screen.getByTestId('problem-alert');
    expect(alert).toHaveTextContent('Is pipewarden reconciler serve running at http://127.0.0.1:9843?');
    expect(alert.textContent).not.toContain('`');
    expect(within(alert).getByText('pipewarden reconciler serve').tagName).toBe('CODE');
  });

  it('without app RBAC (no permissions in the boot data), is disabled for non-admins: the reqRole fallback', async () => {
    config.bootData.user.orgRole = OrgRole.Viewer;
    reconcilerWithDoubt();
    renderPage(<ReconcilePanel />);
    await waitFor(() => expect(screen.getByTestId('disabled-reason')).toHaveTextContent('You may not reconcile: it needs the Reconciler role of this app'));
    expect(button()).toBeDisabled();
  });

  it('with app RBAC, is enabled for an Editor granted reconcile:write (on-call)', async () => {
    config.bootData.user.orgRole = OrgRole.Editor;
    Object.assign(config.bootData.user, { permissions: { 'pipewarden-pipeline-app.reconcile:read': true, 'pipewarden-pipeline-app.reconcile:write': true } });
    reconcilerWithDoubt();
    renderPage(<ReconcilePanel />);
    await waitFor(() => expect(button()).toBeEnabled());
    expect(screen.queryByTestId('disabled-reason')).not.toBeInTheDocument();
  });

  it('with app RBAC, is disabled for an org Admin whose reconcile:write was revoked', async () => {
    Object.assign(config.bootData.user, { permissions: { 'pipewarden-pipeline-app.reconcile:read': true } });
    reconcilerWithDoubt();
    renderPage(<ReconcilePanel />);
    await waitFor(() => expect(screen.getByTestId('disabled-reason')).toHaveTextContent('You may not reconcile'));
    expect(button()).toBeDisabled();
  });

  it('shows the loading state before the first status', async () => {
    new FakeBackend().on('GET', STATUS, never).install();
    renderPage(<ReconcilePanel />);
    expect(await screen.findByText(/Asking the reconciler whether a run is going/)).toBeInTheDocument();
    expect(button()).toBeDisabled();
  });

  it('previews the difference with a dry run, then runs, shows progress and the result', async () => {
    const user = userEvent.setup();
    const backend = reconcilerWithDoubt();
    renderPage(<ReconcilePanel />);
    await waitFor(() => expect(button()).toBeEnabled());

    await user.click(button());
    const dialog = await screen.findByRole('dialog');
    expect(backend.callsTo('POST', POST)[0].data).toEqual({ dryRun: true, trigger: 'button' });
    // Nothing to confirm until the dry run has finished.
    expect(within(dialog).getByRole('button', { name: 'Reconcile & restart' })).toBeDisabled();
    expect(within(dialog).getByText(/Computing the difference with a dry run/)).toBeInTheDocument();

    const summary = await within(dialog).findByTestId('preview-summary', undefined, { timeout: 4000 });
    expect(summary).toHaveTextContent('1,500 rows in 2 batches would be inserted into MySQL (3 batches examined)');
    const rows = within(within(dialog).getByTestId('batch-table')).getAllByRole('row');
    expect(rows).toHaveLength(3); // header + the two batches with missing rows
    expect(rows[1]).toHaveTextContent('b-0001fy2014.csv · records 1–1,000Redis mirror1,000');
    expect(rows[2]).toHaveTextContent('b-0002fy2014.csv · records 1,001–2,000S3 (re-read)500');

    await user.click(within(dialog).getByRole('button', { name: 'Reconcile & restart' }));
    expect(backend.callsTo('POST', POST)[1].data).toEqual({ dryRun: false, trigger: 'button' });
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());

    await waitFor(() => expect(screen.getByTestId('job-progress-counts')).toHaveTextContent('1 of 3 batches · 1,000 of 1,500 missing rows inserted'), { timeout: 3000 });
    const result = await screen.findByTestId('job-result', undefined, { timeout: 4000 });
    expect(within(result).getByText('Inserted 1,500 rows')).toBeInTheDocument();
    expect(within(result).getByTestId('job-result-summary')).toHaveTextContent(
      '1,500 rows inserted into MySQL in 2 batches (3 batches examined); counts and checksums verified; the loader restarted. Took 2.4 s.'
    );
  });

  it('says so when the preview cannot start because the token is wrong', async () => {
    const user = userEvent.setup();
    new FakeBackend()
      .on('GET', STATUS, { status: 200, data: statusFixture() })
      .on('POST', POST, { status: 401, data: { error: 'invalid bearer token' } })
      .install();
    renderPage(<ReconcilePanel />);
    await waitFor(() => expect(button()).toBeEnabled());
    await user.click(button());
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText(/The token in the app configuration is wrong or missing/)).toBeInTheDocument();
  });

  it('follows the running job when the reconciler answers alreadyRunning', async () => {
    const user = userEvent.setup();
    const theirs = jobFixture({ id: 'alert-7', trigger: 'alert', alreadyRunning: true });
    new FakeBackend()
      .on('GET', STATUS, { status: 200, data: statusFixture() })
      .on('POST', POST, { status: 202, data: theirs })
      .on('GET', JOB, { status: 200, data: { ...theirs, alreadyRunning: undefined } })
      .install();
    renderPage(<ReconcilePanel />);
    await waitFor(() => expect(button()).toBeEnabled());
    await user.click(button());
    expect(await screen.findByText('A reconcile started by Alert was already running; showing its progress.')).toBeInTheDocument();
    expect(await screen.findByTestId('job-progress')).toHaveTextContent('started by Alert');
  });

  it('shows a failed run with what to do next', async () => {
    const failed = jobFixture({ id: 'run-9', state: 'failed', error: 'MySQL went away during batch b-0002' });
    const { dialog, user } = await openPreview(dryRunDone('dry-9'), { status: 202, data: failed });
    await user.click(within(dialog).getByRole('button', { name: 'Reconcile & restart' }));
    const result = await screen.findByTestId('job-result');
    expect(result).toHaveTextContent('The reconcile failed');
    expect(result).toHaveTextContent('MySQL went away during batch b-0002');
    expect(result).toHaveTextContent('press Reconcile & restart again once the cause is fixed');
  });

  it('a run that did not restart the loader is a warning, not a green success, and shows the command as code', async () => {
    const done = jobFixture({ id: 'run-4', state: 'succeeded', progress: { phase: 'done', batchesTotal: 3, batchesDone: 3, rowsMissing: 1500, rowsInserted: 1500 }, result: reportFixture({ loaderRestarted: false }) });
    const { dialog, user } = await openPreview(dryRunDone('dry-4'), { status: 202, data: done });
    await user.click(within(dialog).getByRole('button', { name: 'Reconcile & restart' }));
    const result = await screen.findByTestId('job-result');
    expect(within(result).getByTestId('data-testid Alert warning')).toBeInTheDocument();
    expect(within(result).queryByTestId('data-testid Alert success')).not.toBeInTheDocument();
    expect(within(result).getByText('Inserted 1,500 rows; the loader was not restarted')).toBeInTheDocument();
    const summary = within(result).getByTestId('job-result-summary');
    expect(summary).toHaveTextContent('the loader was not restarted (start it with pipewarden loader serve if it is not running)');
    expect(summary.textContent).not.toContain('`');
    expect(within(summary).getByText('pipewarden loader serve').tagName).toBe('CODE');
  });

  it('shows the phases as a list, one item each, the current one marked', async () => {
    const running = jobFixture({ id: 'wd-2', trigger: 'watchdog', progress: { phase: 'lock', batchesTotal: 0, batchesDone: 0, rowsMissing: 0, rowsInserted: 0 } });
    new FakeBackend()
      .on('GET', STATUS, { status: 200, data: statusFixture({ reconcile: { running, last: null } }) })
      .on('GET', JOB, { status: 200, data: running })
      .install();
    renderPage(<ReconcilePanel />);
    const phases = await screen.findByRole('list', { name: 'Phases' });
    const items = within(phases).getAllByRole('listitem');
    expect(items.map((i) => i.textContent)).toEqual([
      'Taking the reconcile lock',
      'Pausing the loader',
      'Waiting for MySQL to answer',
      'Finding batches in doubt',
      'Inserting the missing rows',
      'Verifying counts and checksums',
      'Restarting the loader',
      'Done',
    ]);
    expect(items[0]).toHaveAttribute('aria-current', 'step');
    expect(screen.getByTestId('job-progress-counts')).toHaveTextContent('Counting the batches in doubt…');
    expect(screen.getByTestId('job-progress')).not.toHaveTextContent('0 of 0');
  });

  it('keeps the confirmation open and explains a refused start (403)', async () => {
    const { dialog, user } = await openPreview(dryRunDone('dry-3'), { status: 403, data: { message: 'plugin proxy route access denied' } });
    await user.click(within(dialog).getByRole('button', { name: 'Reconcile & restart' }));
    expect(await within(dialog).findByText('The reconcile did not start: Your Grafana role cannot do this')).toBeInTheDocument();
    expect(screen.queryByTestId('job-progress')).not.toBeInTheDocument();
  });

  it('cancels its dry run when the preview is dismissed (it may be waiting minutes for MySQL)', async () => {
    const user = userEvent.setup();
    const dry = jobFixture({ id: 'dry-5', dryRun: true, state: 'running', progress: { phase: 'wait_mysql', batchesTotal: 0, batchesDone: 0, rowsMissing: 0, rowsInserted: 0 } });
    const backend = new FakeBackend()
      .on('GET', STATUS, { status: 200, data: statusFixture() })
      .on('POST', POST, { status: 202, data: dry })
      .on('GET', JOB, { status: 200, data: dry })
      .on('POST', CANCEL, { status: 202, data: { ...dry, state: 'cancelled' } })
      .install();
    renderPage(<ReconcilePanel />);
    await waitFor(() => expect(button()).toBeEnabled());
    await user.click(button());
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText('The dry run waits for MySQL')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(backend.callsTo('POST', CANCEL).map((c) => c.url)).toEqual(['api/plugin-proxy/pipewarden-pipeline-app/reconciler/reconcile/dry-5/cancel']));
  });

  it('while MySQL is down, the preview says it waits for MySQL and offers to reconcile when MySQL is back', async () => {
    const waiting = { phase: 'wait_mysql' as const, batchesTotal: 0, batchesDone: 0, rowsMissing: 0, rowsInserted: 0 };
    const dry = jobFixture({ id: 'dry-8', dryRun: true, state: 'running', progress: waiting });
    const real = jobFixture({ id: 'run-8', dryRun: false, state: 'running', progress: waiting });
    const { backend, dialog, user } = await openPreview(dry, { status: 202, data: real });
    const notice = await within(dialog).findByTestId('preview-waits-mysql');
    expect(notice).toHaveTextContent('The dry run waits for MySQL');
    expect(notice).toHaveTextContent('MySQL does not answer, so the difference cannot be computed until it is back');
    expect(within(dialog).queryByText(/Computing the difference/)).not.toBeInTheDocument();
    const confirm = within(dialog).getByRole('button', { name: 'Reconcile when MySQL is back' });
    expect(confirm).toBeEnabled();
    await user.click(confirm);
    expect(backend.callsTo('POST', POST)[1].data).toEqual({ dryRun: false, trigger: 'button' });
    // The real run waits too: its progress says so, with no "0 of 0" before anything is counted.
    const counts = await screen.findByTestId('job-progress-counts');
    expect(counts).toHaveTextContent('Counting the batches in doubt…');
    expect(screen.getByTestId('job-progress')).not.toHaveTextContent('0 of 0');
  });

  it("does not cancel a dry run it only joined (someone else's preview)", async () => {
    const user = userEvent.setup();
    const theirs = jobFixture({ id: 'dry-6', dryRun: true, state: 'running', alreadyRunning: true });
    const backend = new FakeBackend()
      .on('GET', STATUS, { status: 200, data: statusFixture() })
      .on('POST', POST, { status: 202, data: theirs })
      .on('GET', JOB, { status: 200, data: { ...theirs, alreadyRunning: undefined } })
      .on('POST', CANCEL, { status: 202, data: theirs })
      .install();
    renderPage(<ReconcilePanel />);
    await waitFor(() => expect(button()).toBeEnabled());
    await user.click(button());
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(backend.callsTo('POST', CANCEL)).toHaveLength(0);
  });

  it('says that the last run failed and the loader stays paused', async () => {
    const status = statusFixture({
      loader: { reachable: true, state: 'paused', url: 'http://127.0.0.1:9842', pausedBy: { by: 'reconcile', runId: 'run-4', since: new Date().toISOString(), error: 'MySQL did not answer within 600 s' } },
      reconcile: { running: null, last: null, lastFailure: { runId: 'run-4', trigger: 'watchdog', error: 'MySQL did not answer within 600 s', finishedAt: new Date().toISOString() } },
    });
    new FakeBackend().on('GET', STATUS, { status: 200, data: status }).install();
    renderPage(<ReconcilePanel />);
    const blocked = await screen.findByTestId('recovery-blocked');
    expect(blocked).toHaveTextContent('The last reconcile run failed: the loader stays paused until a run succeeds');
    expect(blocked).toHaveTextContent('Run by Watchdog');
    expect(blocked).toHaveTextContent('MySQL did not answer within 600 s');
    expect(blocked).toHaveTextContent('The watchdog retries');
  });

  it('says when the loader answers the reconciler with an error (a wrong token is not "no loader")', async () => {
    const status = statusFixture({ loader: { reachable: false, state: 'unreachable', url: 'http://127.0.0.1:9842', error: 'pausing the loader service at http://127.0.0.1:9842 failed: 401' } });
    new FakeBackend().on('GET', STATUS, { status: 200, data: status }).install();
    renderPage(<ReconcilePanel />);
    expect(await screen.findByTestId('recovery-blocked')).toHaveTextContent('A real reconcile run will not write while it cannot pause the loader');
  });
});
