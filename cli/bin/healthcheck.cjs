#!/usr/bin/env node
// The Docker image's HEALTHCHECK: GET /healthz of the service the container runs. The
// service is named by the arguments of the container's main process (PID 1, or the pid given
// as the first argument): `loader serve`, `reconciler serve` or `exporter`; its port is that
// of its *_LISTEN variable, else the default. A container running a one-shot command has no
// service to probe and counts as healthy. Plain JavaScript: it must start fast, every 30 s.
'use strict';
const { readFileSync } = require('node:fs');

const SERVICES = {
  loader: { variable: 'PIPEWARDEN_LOADER_LISTEN', port: 9842 },
  reconciler: { variable: 'PIPEWARDEN_RECONCILER_LISTEN', port: 9843 },
  exporter: { variable: 'PIPEWARDEN_EXPORTER_LISTEN', port: 9841 },
};

const pid = process.argv[2] || '1';
const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
const name = Object.keys(SERVICES).find((n) => args.includes(n));
if (!name) process.exit(0);
const listen = process.env[SERVICES[name].variable];
const port = listen ? listen.slice(listen.lastIndexOf(':') + 1) : SERVICES[name].port;
fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) }).then(
  (res) => {
    if (!res.ok) process.stderr.write(`${name}: /healthz answered ${res.status}\n`);
    process.exit(res.ok ? 0 : 1);
  },
  (e) => {
    process.stderr.write(`${name}: /healthz on port ${port} did not answer: ${e.message}\n`);
    process.exit(1);
  },
);
