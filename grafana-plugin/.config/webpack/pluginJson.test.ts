// dist/plugin.json: placeholders filled, and the git revision in info.build.hash so the app
// names the same build as `pipewarden --version` and the services' /status.
import fs from 'fs';
import path from 'path';
import { renderPluginJson } from './pluginJson';

const source = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'plugin.json'), 'utf8');
const day = new Date('2026-11-29T12:00:00Z');

test('version, date and revision are filled in', () => {
  const json = JSON.parse(renderPluginJson(source, '0.1.0', day, '0123456789ab'));
  expect(json.info.version).toBe('0.1.0');
  expect(json.info.updated).toBe('2026-11-29');
  expect(json.info.build).toEqual({ time: day.getTime(), hash: '0123456789ab' });
  expect(JSON.stringify(json)).not.toMatch(/%[A-Z_]+%/);
});

test('outside a git checkout the build carries no revision', () => {
  expect(JSON.parse(renderPluginJson(source, '0.1.0', day)).info.build).toBeUndefined();
});
