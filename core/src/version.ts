// The version and git revision that every part reports (`pipewarden --version`, the
// services' /status). A build (cli/build.mjs) embeds both into the bundle; from a clone they
// come from package.json and git. No imports beyond Node's: the CLI reads this at start-up.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BuildInfo {
  version: string;
  /** Commit the code was built from (12 hex), `-dirty` when the tree had changes, or `unknown`. */
  revision: string;
}

// Replaced by the build's esbuild `define`; undeclared (typeof 'undefined') in a clone.
declare const __PIPEWARDEN_BUILD__: BuildInfo | undefined;

const REPO = join(__dirname, '..', '..');
let cached: BuildInfo | undefined;

/** @public The Grafana app's build stamps its bundle with it (grafana-plugin/.config/webpack/webpack.config.ts), outside knip's view. */
export function gitRevision(repo: string): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const rev = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${rev}-dirty` : rev;
  } catch {
    return 'unknown';
  }
}

export function buildInfo(): BuildInfo {
  if (cached) return cached;
  if (typeof __PIPEWARDEN_BUILD__ !== 'undefined') cached = __PIPEWARDEN_BUILD__;
  else cached = { version: JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version, revision: gitRevision(REPO) };
  return cached;
}
