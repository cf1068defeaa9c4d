// The page at `/`: where the metrics are and what this exporter looks at (addresses with
// passwords removed; the token is never shown).
import { redactUrl, type Config } from '@pipewarden/core';
import { METRICS } from '@pipewarden/core';
import type { Collector } from './collector';
import type { WatchedPipeline } from './pipelines';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function landingPage(config: Config, collectors: readonly Collector[], probed: readonly string[], pipelines: readonly WatchedPipeline[]): string {
  const targets: [string, string][] = [
    ['mysql', redactUrl(config.mysql.url)],
    ['redis', redactUrl(config.redis.url)],
    ['s3', config.source && /^s3a?:\/\//.test(config.source) ? `${config.source} (${config.s3.endpoint ? redactUrl(config.s3.endpoint) : 'AWS'})` : 'not probed (source is not S3)'],
    ['loader', redactUrl(config.loader.url)],
    ['reconciler', redactUrl(config.reconciler.url)],
  ];
  const rows = targets
    .map(([t, where]) => `<tr><td>${esc(t)}</td><td>${esc(where)}</td><td>${probed.includes(t) ? 'yes' : 'no'}</td></tr>`)
    .join('\n');
  const pipes = pipelines
    .map((p) => `<tr><td>${esc(p.name)}</td><td>${esc(p.source ? redactUrl(p.source) : 'not configured')}</td><td>${esc(p.walDir)}</td><td><code>${esc(p.keyPrefix)}</code></td></tr>`)
    .join('\n');
  const cols = collectors
    .map((c) => `<li><b>${esc(c.name)}</b>: ${c.metrics.map((k) => `<code>${esc(METRICS[k].name)}</code>`).join(', ')}</li>`)
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>pipewarden exporter</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td{padding:.2em 1em}code{font-size:90%}</style></head>
<body>
<h1>pipewarden exporter</h1>
<p><a href="metrics">/metrics</a> (collected at scrape time) · <a href="healthz">/healthz</a></p>
<h2>Probed targets</h2>
<table><tr><th>target</th><th>address</th><th>probed</th></tr>
${rows}
</table>
<h2>Collectors</h2>
<ul>
${cols}
</ul>
<h2>Pipelines</h2>
<p>Every pipeline-scoped series carries its <code>pipeline</code> label.</p>
<table><tr><th>pipeline</th><th>source</th><th>WAL</th><th>mirror prefix</th></tr>
${pipes}
</table>
</body></html>
`;
}
