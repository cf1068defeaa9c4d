// Modules Grafana provides to plugins at run time (its sharedDependencies map). They must
// not be bundled: a second React or router instance breaks hooks and context. react-router-dom
// v6 is bundled (Grafana exposes v5 under that name) while 'react-router' stays external,
// because Grafana exposes its v6 router under 'react-router'. e2e/host provides the same list.
import type { Configuration } from 'webpack';

export const EXTERNAL_MODULES = [
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  'react-dom',
  'react-redux',
  'redux',
  'rxjs',
  'rxjs/operators',
  'i18next',
  'react-router',
  'd3',
  'angular',
  '@grafana/ui',
  '@grafana/runtime',
  '@grafana/data',
] as const;

export const externals: Configuration['externals'] = [...EXTERNAL_MODULES];
