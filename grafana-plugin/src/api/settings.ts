// Grafana's own settings endpoint for the app (the configuration page saves through it).
import { PLUGIN_ID } from '../constants';
import { request } from './client';
import type { AppSettings } from './types';

export interface SettingsUpdate {
  enabled: boolean;
  pinned: boolean;
  jsonData: AppSettings;
  /** Omitted to keep the stored token; {token: ''} clears it. */
  secureJsonData?: { token: string };
}

/** Grafana's plugin settings endpoint (Admin only). */
export function saveSettings(update: SettingsUpdate): Promise<unknown> {
  return request('POST', `/api/plugins/${PLUGIN_ID}/settings`, { data: update });
}
