import React from 'react';
import { MemoryRouter } from 'react-router-dom';
import { AppPluginMeta, PluginType } from '@grafana/data';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import type { AppSettings } from '../../api/types';
import { FakeBackend } from '../../test/fakeBackend';
import { runDetailFixture, runFixture, statusFixture } from '../../test/fixtures';
import App from './App';

function renderAt(path: string) {
  new FakeBackend()
    .on('GET', /reconciler\/status$/, { status: 200, data: statusFixture() })
    .on('GET', /reconciler\/runs$/, { status: 200, data: { runs: [runFixture()] } })
    .on('GET', /reconciler\/runs\/run-1$/, { status: 200, data: runDetailFixture() })
    .install();
  const meta = { id: 'pipewarden-pipeline-app', name: 'pipewarden', type: PluginType.app, module: '', baseUrl: '', info: {}, jsonData: { reconcilerUrl: 'http://127.0.0.1:9843' } } as unknown as AppPluginMeta<AppSettings>;
  render(
    <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <App meta={meta} basename="/a/pipewarden-pipeline-app" path={path} query={{}} onNavChanged={() => undefined} />
    </MemoryRouter>
  );
}

describe('App routes', () => {
  it('shows the overview by default', async () => {
    renderAt('/');
    expect(await screen.findByTestId('pipeline-stages')).toBeInTheDocument();
  });

  it('shows the Reconcile page', async () => {
    renderAt('/reconcile');
    expect(await screen.findByRole('button', { name: /Reconcile & restart/ })).toBeInTheDocument();
  });

  it('shows the History page', async () => {
    renderAt('/history');
    expect(await screen.findByTestId('runs-table')).toBeInTheDocument();
  });

  it('opens a run from the link in its History row (keyboard users)', async () => {
    renderAt('/history');
    const row = await screen.findByTestId('run-row');
    await userEvent.click(within(row).getByRole('link'));
    expect(await screen.findByTestId('run-summary')).toHaveTextContent('Rows inserted1,500');
  });

  it('opens a run from its History row', async () => {
    renderAt('/history');
    await userEvent.click(await screen.findByTestId('run-row'));
    expect(await screen.findByTestId('run-summary')).toHaveTextContent('Started byButton (alice)');
  });
});
