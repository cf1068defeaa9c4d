import React from 'react';
import { AppPluginMeta, PluginType } from '@grafana/data';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import type { AppSettings, DoctorReport } from '../../api/types';
import { FakeBackend } from '../../test/fakeBackend';
import { statusFixture } from '../../test/fixtures';
import AppConfig from './AppConfig';

const SETTINGS = /\/api\/plugins\/pipewarden-pipeline-app\/settings$/;

function meta(jsonData: AppSettings, tokenSet: boolean): AppPluginMeta<AppSettings> {
  return {
    id: 'pipewarden-pipeline-app',
    name: 'pipewarden',
    type: PluginType.app,
    module: '',
    baseUrl: '',
    info: {} as AppPluginMeta['info'],
    enabled: true,
    pinned: true,
    jsonData,
    secureJsonFields: tokenSet ? { token: true } : {},
  };
}

function renderConfig(jsonData: AppSettings, tokenSet: boolean) {
  const onSaved = jest.fn();
  const plugin = { meta: meta(jsonData, tokenSet) } as never;
  render(<AppConfig plugin={plugin} query={{}} onSaved={onSaved} />);
  return onSaved;
}

describe('AppConfig', () => {
  it('shows the commands in the field descriptions and errors as code, not with backticks', () => {
    new FakeBackend().install();
    renderConfig({}, false);
    for (const command of ['pipewarden reconciler serve', 'pipewarden loader serve']) {
      expect(screen.getAllByText(command).every((el) => el.tagName === 'CODE')).toBe(true);
    }
    expect(document.body.textContent).not.toContain('`');
  });

  it('shows the saved URLs and a configured token, and keeps the token when saving URLs', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend().on('POST', SETTINGS, { status: 200, data: {} }).install();
    const onSaved = renderConfig({ reconcilerUrl: 'http://127.0.0.1:9843' }, true);
    expect(screen.getByLabelText(/Reconciler URL/)).toHaveValue('http://127.0.0.1:9843');
    expect(screen.getByDisplayValue('configured')).toBeDisabled();

    await user.type(screen.getByLabelText(/Loader URL/), 'http://127.0.0.1:9842/');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(backend.callsTo('POST', SETTINGS)[0].data).toEqual({
      enabled: true,
      pinned: true,
      jsonData: { reconcilerUrl: 'http://127.0.0.1:9843', loaderUrl: 'http://127.0.0.1:9842' },
      secureJsonData: undefined,
    });
  });

  it('sends a new token after Reset, and requires one', async () => {
    const user = userEvent.setup();
    const backend = new FakeBackend().on('POST', SETTINGS, { status: 200, data: {} }).install();
    const onSaved = renderConfig({ reconcilerUrl: 'http://127.0.0.1:9843' }, true);
    await user.click(screen.getByRole('button', { name: 'Reset' }));
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeDisabled();
    expect(screen.getByText(/Required: the reconciler refuses requests without it/)).toBeInTheDocument();
    await user.type(screen.getByPlaceholderText('PIPEWARDEN_TOKEN of the reconciler'), 'a-new-token-of-32-characters-xx');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(backend.callsTo('POST', SETTINGS)[0].data.secureJsonData).toEqual({ token: 'a-new-token-of-32-characters-xx' });
  });

  it('refuses a URL that is not http(s)', async () => {
    const user = userEvent.setup();
    new FakeBackend().install();
    renderConfig({}, false);
    await user.type(screen.getByLabelText(/Reconciler URL/), 'localhost:9843');
    expect(screen.getByText(/Expected an http:\/\/ or https:\/\/ URL/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeDisabled();
  });

  it('says when Grafana refuses to save (not an admin)', async () => {
    const user = userEvent.setup();
    new FakeBackend().on('POST', SETTINGS, { status: 403, data: { message: 'Permission denied' } }).install();
    const onSaved = renderConfig({ reconcilerUrl: 'http://127.0.0.1:9843' }, true);
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Only Grafana admins can change the app settings.')).toBeInTheDocument();
    expect(onSaved).not.toHaveBeenCalled();
  });

  it('tests the saved connection through the proxy', async () => {
    const user = userEvent.setup();
    new FakeBackend().on('GET', /reconciler\/status$/, { status: 200, data: statusFixture() }).install();
    renderConfig({ reconcilerUrl: 'http://127.0.0.1:9843' }, true);
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    expect(await screen.findByText('Connected to the reconciler')).toBeInTheDocument();
    expect(screen.getByText(/MySQL up, Redis up, loader running, 3 batches/)).toBeInTheDocument();
  });

  it("shows the target's checks from the reconciler's GET /doctor, grouped, with the verdicts and meanings", async () => {
    const user = userEvent.setup();
    const report: DoctorReport = {
      verdict: 'fail',
      findings: [
        { target: 'mysql', check: 'innodb_flush_log_at_trx_commit', value: '2', verdict: 'warn', meaning: 'a crash of the host can lose about a second of acknowledged commits' },
        { target: 'mysql', check: 'local_infile', value: 'ON', verdict: 'ok', meaning: 'batches go in by LOAD DATA LOCAL INFILE' },
        { target: 'redis', check: 'maxmemory-policy', value: 'allkeys-lru at 512 MB', verdict: 'fail', meaning: 'Redis may evict mirror entries' },
      ],
    };
    const backend = new FakeBackend().on('GET', /reconciler\/doctor$/, { status: 200, data: report }).install();
    renderConfig({ reconcilerUrl: 'http://127.0.0.1:9843' }, true);
    await user.click(screen.getByRole('button', { name: 'Check the target' }));
    expect(await screen.findByText('1 setting(s) break a guarantee')).toBeInTheDocument();
    expect(backend.callsTo('GET', /reconciler\/doctor$/)).toHaveLength(1);
    expect(screen.getByRole('heading', { name: 'MySQL' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Redis' })).toBeInTheDocument();
    const items = screen.getAllByTestId('doctor-finding');
    expect(items.map((i) => [i.getAttribute('data-verdict'), i.textContent])).toEqual([
      ['warn', 'Warning innodb_flush_log_at_trx_commit: 2a crash of the host can lose about a second of acknowledged commits'],
      ['ok', 'OK local_infile: ONbatches go in by LOAD DATA LOCAL INFILE'],
      ['fail', 'Fails maxmemory-policy: allkeys-lru at 512 MBRedis may evict mirror entries'],
    ]);
  });

  it('explains a doctor request the reconciler refused', async () => {
    const user = userEvent.setup();
    new FakeBackend().on('GET', /reconciler\/doctor$/, { status: 401, data: { error: 'invalid bearer token' } }).install();
    renderConfig({ reconcilerUrl: 'http://127.0.0.1:9843' }, true);
    await user.click(screen.getByRole('button', { name: 'Check the target' }));
    expect(await screen.findByText('The reconciler rejected the token')).toBeInTheDocument();
  });

  it('explains a failed connection test with a wrong token', async () => {
    const user = userEvent.setup();
    new FakeBackend().on('GET', /reconciler\/status$/, { status: 401, data: { error: 'invalid bearer token' } }).install();
    renderConfig({ reconcilerUrl: 'http://127.0.0.1:9843' }, true);
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    expect(await screen.findByText('The reconciler rejected the token')).toBeInTheDocument();
  });
});
