// Build of the app plugin, after the webpack config that @grafana/create-plugin scaffolds
// (written for this app, not generated; .config/.cprc.json pins the version): one AMD module
// (dist/module.js) that Grafana loads with SystemJS, with the libraries Grafana already
// provides left as externals so the plugin shares Grafana's React, router and theme.
// The externals and folder names are create-plugin's own files (.config/bundler/, rendered by
// scripts/create-plugin-config.mjs); SharedModulesCheckPlugin fails the build on a bundled copy.
import CopyWebpackPlugin from 'copy-webpack-plugin';
import fs from 'fs';
import path from 'path';
import type { Configuration, ExternalItem } from 'webpack';

import { DIST_DIR, SOURCE_DIR } from '../bundler/constants';
import { externals } from '../bundler/externals';
import { gitRevision } from '../../../core/src/version';
import { renderPluginJson } from './pluginJson';
import { SharedModulesCheckPlugin } from './sharedModules';

/** The commit being built, from core's gitRevision like `pipewarden --version`; none outside a git checkout. */
function buildRevision(): string | undefined {
  const revision = gitRevision(path.resolve(__dirname, '..', '..', '..'));
  return revision === 'unknown' ? undefined : revision;
}

const pluginJson = JSON.parse(fs.readFileSync(path.resolve(process.cwd(), SOURCE_DIR, 'plugin.json'), 'utf8'));
const packageJson = JSON.parse(fs.readFileSync(path.resolve(process.cwd(), 'package.json'), 'utf8'));

type Env = { production?: boolean; development?: boolean };

// Grafana shares rxjs/operators with plugins too (its SystemJS shared dependencies), and
// @grafana/scenes imports it; create-plugin's list (pinned) names only 'rxjs'.
const ALSO_SHARED_BY_GRAFANA = ['rxjs/operators'];

const config = (env: Env): Configuration => ({
  cache: { type: 'filesystem', buildDependencies: { config: [__filename] } },
  context: path.join(process.cwd(), SOURCE_DIR),
  devtool: env.production ? 'source-map' : 'eval-source-map',
  entry: { module: './module.tsx' },
  externals: [...(externals as ExternalItem[]), ...ALSO_SHARED_BY_GRAFANA],
  mode: env.production ? 'production' : 'development',
  module: {
    rules: [
      {
        exclude: /node_modules/,
        test: /\.[tj]sx?$/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              baseUrl: path.resolve(process.cwd(), SOURCE_DIR),
              target: 'es2018',
              loose: false,
              parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
            },
          },
        },
      },
      {
        test: /\.(png|jpe?g|gif|svg)$/,
        type: 'asset/resource',
        generator: {
          // Relative, so Grafana served under a sub path (host.com/grafana/) still finds it.
          publicPath: `public/plugins/${pluginJson.id}/img/`,
          outputPath: 'img/',
          filename: '[name][ext]',
        },
      },
    ],
  },
  output: {
    clean: true,
    filename: '[name].js',
    library: { type: 'amd' },
    path: path.resolve(process.cwd(), DIST_DIR),
    publicPath: `public/plugins/${pluginJson.id}/`,
    uniqueName: pluginJson.id,
  },
  performance: { hints: false },
  plugins: [
    new CopyWebpackPlugin({
      patterns: [
        // The README Grafana shows in Administration › Plugins: for admins (src/README.md).
        { from: 'README.md', to: '.' },
        { from: '../CHANGELOG.md', to: '.' },
        { from: '../LICENSE', to: '.' },
        { from: 'img/**/*', to: '.' },
        { from: 'plugin.json', to: '.', transform: { transformer: (content) => renderPluginJson(content.toString(), packageJson.version, new Date(), buildRevision()), cache: false } },
      ],
    }),
    new SharedModulesCheckPlugin(),
  ],
  resolve: {
    extensions: ['.js', '.jsx', '.ts', '.tsx'],
    modules: [path.resolve(process.cwd(), SOURCE_DIR), 'node_modules'],
  },
});

export default config;
