// `npm run package`: dist/ as the zip Grafana's catalog and `grafana cli plugins install`
// expect, pipewarden-pipeline-app-<version>.zip holding one folder named after the plugin id
// (create-plugin's packaging layout). Uses Info-ZIP's `zip`/`unzip` (Debian: zip, unzip).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function run(tool: 'zip' | 'unzip', args: string[], cwd?: string): void {
  try {
    execFileSync(tool, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') {
      throw new Error(`\`${tool}\` is not installed: install it (Debian: apt-get install zip unzip) to package the plugin`);
    }
    throw new Error(`${tool} ${args.join(' ')} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/** The id and version of a built plugin (its dist/plugin.json). */
export function builtPlugin(distDir: string): { id: string; version: string } {
  const file = path.join(distDir, 'plugin.json');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run build\` in grafana-plugin/ first`);
  }
  const { id, info } = JSON.parse(readFileSync(file, 'utf8')) as { id: string; info: { version: string } };
  return { id, version: info.version };
}

/** Zips `distDir` as <outDir>/<id>-<version>.zip with <id>/ at its top; returns the zip's path. */
export function packagePlugin(distDir: string, outDir: string): string {
  const { id, version } = builtPlugin(distDir);
  const zip = path.resolve(outDir, `${id}-${version}.zip`);
  const stage = mkdtempSync(path.join(tmpdir(), 'pw-plugin-package-'));
  try {
    cpSync(distDir, path.join(stage, id), { recursive: true });
    rmSync(zip, { force: true });
    // -X: no extra file attributes, so the same dist/ gives the same entries.
    run('zip', ['-qrX', zip, id], stage);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return zip;
}

/** Unzips `zip` into a new temporary folder and returns it (the caller removes it). */
export function extractZip(zip: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-plugin-unzip-'));
  run('unzip', ['-q', zip, '-d', dir]);
  return dir;
}
