// Entry point Grafana loads (dist/module.js, AMD). The pages are small, so they are
// bundled into this one module rather than lazy chunks: one request, and nothing to
// resolve against the public path at run time.
import { AppPlugin } from '@grafana/data';

import type { AppSettings } from './api/types';
import App from './components/App/App';
import AppConfig from './components/AppConfig/AppConfig';

export const plugin = new AppPlugin<AppSettings>().setRootPage(App).addConfigPage({
  title: 'Configuration',
  icon: 'cog',
  body: AppConfig,
  id: 'configuration',
});
