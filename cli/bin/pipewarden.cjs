#!/usr/bin/env node
// Entry point of `pipewarden` / `npx pipewarden`: TypeScript sources run through tsx's
// loader, so there is no build step to forget and no stale dist/.
'use strict';
require('./quiet-warnings.cjs');
require('tsx/cjs/api').register();
require('../src/main.ts');
