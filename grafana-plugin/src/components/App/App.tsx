import React, { useState } from 'react';
import { Route, Routes } from 'react-router-dom';
import { AppRootProps } from '@grafana/data';
import { QueryClientProvider } from '@tanstack/react-query';

import type { AppSettings } from '../../api/types';
import { ROUTES } from '../../constants';
import { createQueryClient } from '../../data/queryClient';
import { SettingsProvider } from '../../data/settings';
import History from '../../pages/History';
import Overview from '../../pages/Overview';
import Reconcile from '../../pages/Reconcile';
import RunDetail from '../../pages/RunDetail';

/** The app's root page: Grafana mounts it under /a/pipewarden-pipeline-app/*. */
export default function App({ meta }: AppRootProps<AppSettings>) {
  const [queryClient] = useState(createQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <SettingsProvider settings={meta.jsonData}>
        <Routes>
          <Route path={ROUTES.Reconcile} element={<Reconcile />} />
          <Route path={ROUTES.History} element={<History />} />
          <Route path={`${ROUTES.History}/:runId`} element={<RunDetail />} />
          <Route path="*" element={<Overview />} />
        </Routes>
      </SettingsProvider>
    </QueryClientProvider>
  );
}
