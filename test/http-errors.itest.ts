// Every service answers errors as JSON without a stack trace (express's default handler
// sends an HTML page with the stack whenever NODE_ENV is unset): a malformed JSON body is
// 400, a body over the limit 413, an unknown route 404.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoaderService } from '@pipewarden/loader';
import { startReconcilerService } from '@pipewarden/reconciler';
import { startExporter } from '@pipewarden/exporter';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ services: ['mariadb', 'redis'] });
});
afterAll(() => stack?.cleanup());

interface Answer {
  status: number;
  type: string;
  text: string;
}

async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** A JSON error body, no HTML and no stack frame. */
function expectJsonError(a: Answer, status: number, error: RegExp): void {
  expect({ status: a.status, type: a.type }).toEqual({ status, type: expect.stringMatching(/^application\/json/) });
  expect(a.text).not.toMatch(/<html|<pre|\bat .*\(.*:\d+:\d+\)/i);
  expect((JSON.parse(a.text) as { error: string }).error).toMatch(error);
}

function services() {
  const csv = join(stack.layout.dir, 'tiny.csv');
  writeFileSync(csv, 'Summons Number,Plate ID\n1,ABC\n');
  return stack.config({ 'loader.listen': '127.0.0.1:0', 'reconciler.listen': '127.0.0.1:0', 'exporter.listen': '127.0.0.1:0', 'reconciler.watchdog': false, source: csv });
}

test('reconciler: malformed JSON 400, too large 413, unknown route 404', async () => {
  const config = services();
  const svc = await startReconcilerService(config, { watchdog: false });
  const auth = { authorization: `Bearer ${config.token}`, 'content-type': 'application/json' };
  try {
    expectJsonError(await send(`${svc.url}/reconcile`, { method: 'POST', headers: auth, body: '{"dryRun": tru' }), 400, /JSON|Unexpected|Expected/i);
    expectJsonError(await send(`${svc.url}/reconcile`, { method: 'POST', headers: auth, body: JSON.stringify({ pad: 'x'.repeat(2 << 20) }) }), 413, /too large/i);
    expectJsonError(await send(`${svc.url}/no/such/thing`, { headers: auth }), 404, /no such endpoint: GET \/no\/such\/thing/);
  } finally {
    await svc.close();
  }
});

test('loader: unknown route 404, malformed JSON 400, too large 413', async () => {
  const config = services();
  const svc = await startLoaderService(config);
  const auth = { authorization: `Bearer ${config.token}`, 'content-type': 'application/json' };
  try {
    expectJsonError(await send(`${svc.url}/nope`, { method: 'POST', headers: auth, body: '{"x":' }), 404, /no such endpoint: POST \/nope/);
    expectJsonError(await send(`${svc.url}/pause`, { method: 'POST', headers: auth, body: '{"x":' }), 400, /JSON|Unexpected|Expected/i);
    expectJsonError(await send(`${svc.url}/pause`, { method: 'POST', headers: auth, body: JSON.stringify({ pad: 'x'.repeat(64 << 10) }) }), 413, /too large/i);
  } finally {
    await svc.close();
  }
});

test('exporter: unknown route 404 as JSON', async () => {
  const exporter = await startExporter(services(), { listen: '127.0.0.1:0' });
  try {
    expectJsonError(await send(`${exporter.url}/metrics/extra`), 404, /no such endpoint/);
  } finally {
    await exporter.close();
  }
});
