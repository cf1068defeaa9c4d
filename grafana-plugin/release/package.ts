// `npm run package`: see packagePlugin.ts.
import path from 'node:path';

import { packagePlugin } from './packagePlugin';

const PLUGIN_DIR = path.resolve(__dirname, '..');

try {
  console.log(path.relative(process.cwd(), packagePlugin(path.join(PLUGIN_DIR, 'dist'), PLUGIN_DIR)));
} catch (e) {
  console.error(`package: ${(e as Error).message}`);
  process.exit(1);
}
