import React from 'react';
import { MemoryRouter } from 'react-router-dom';
import { QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';

import type { AppSettings } from '../api/types';
import { createQueryClient } from '../data/queryClient';
import { SettingsProvider } from '../data/settings';

export const CONFIGURED: AppSettings = { reconcilerUrl: 'http://127.0.0.1:9843' };

/** Renders a page as the App does: its own query client, the app settings, a router. */
/** `url`: where the router starts (a page's query string, e.g. `/history?pipeline=orders`). */
export function renderPage(ui: React.ReactElement, settings: AppSettings = CONFIGURED, url = '/') {
  const client = createQueryClient();
  return render(
    <QueryClientProvider client={client}>
      <SettingsProvider settings={settings}>
        <MemoryRouter initialEntries={[url]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>{ui}</MemoryRouter>
      </SettingsProvider>
    </QueryClientProvider>
  );
}
