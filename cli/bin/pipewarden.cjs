#!/usr/bin/env node
// Entry point of `pipewarden` / `npx pipewarden`: TypeScript sources run through tsx's
// loader, so there is no build step to forget and no stale dist/.
'use strict';
// The AWS SDK warns on Node 20 that releases from 2027 need Node 22; the lock file pins a
// version that supports Node 20 (README: supported Node versions), so the warning is noise.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  if (type === 'NodeVersionSupportWarning' || /NodeVersionSupportWarning|upgrade to node >=22/.test(String(warning))) return;
  return emitWarning(warning, ...rest);
};
require('tsx/cjs/api').register();
require('../src/main.ts');
