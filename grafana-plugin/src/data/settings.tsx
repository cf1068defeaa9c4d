// The app's settings (plugin meta jsonData) for the pages and hooks below the root.
import React, { createContext, useContext } from 'react';

import { ApiProblem } from '../api/problem';
import type { AppSettings } from '../api/types';

const SettingsContext = createContext<AppSettings>({});

export function SettingsProvider({ settings, children }: { settings: AppSettings | undefined; children: React.ReactNode }) {
  return <SettingsContext.Provider value={settings ?? {}}>{children}</SettingsContext.Provider>;
}

export function useAppSettings(): AppSettings {
  return useContext(SettingsContext);
}

/** Throws the "not configured" problem before any request would go to an empty route URL. */
export function assertConfigured(settings: AppSettings): void {
  if (!settings.reconcilerUrl) {
    throw new ApiProblem('not-configured', 'no reconciler URL configured');
  }
}
