// A BackendSrv for unit tests: answers getBackendSrv().fetch from a table of handlers, the
// way Grafana's would (an error is {status, data, statusText}), and records every call.
import type { BackendSrv, BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { setBackendSrv } from '@grafana/runtime';
import { Observable } from 'rxjs';

export interface FakeReply {
  status: number;
  data?: unknown;
}

export type Handler = (req: BackendSrvRequest) => FakeReply | Promise<FakeReply>;

export class FakeBackend {
  readonly calls: BackendSrvRequest[] = [];
  private readonly handlers: Array<{ method: string; match: RegExp; handler: Handler }> = [];

  on(method: 'GET' | 'POST', match: RegExp, handler: Handler | FakeReply): this {
    this.handlers.unshift({ method, match, handler: typeof handler === 'function' ? handler : () => handler });
    return this;
  }

  callsTo(method: string, match: RegExp): BackendSrvRequest[] {
    return this.calls.filter((c) => (c.method ?? 'GET') === method && match.test(c.url));
  }

  install(): this {
    setBackendSrv({ fetch: (req: BackendSrvRequest) => this.fetch(req) } as unknown as BackendSrv);
    return this;
  }

  private fetch(req: BackendSrvRequest): Observable<FetchResponse> {
    this.calls.push(req);
    return new Observable((sub) => {
      const h = this.handlers.find((x) => x.method === (req.method ?? 'GET') && x.match.test(req.url));
      // A handler that throws is a bug in the test: answer 500 with its message, loudly.
      const reply0 = async () => (h ? h.handler(req) : { status: 404, data: { message: `no fake for ${req.method} ${req.url}` } });
      reply0()
        .catch((e: unknown): FakeReply => ({ status: 500, data: { error: `fake handler threw: ${String(e)}` } }))
        .then((reply) => {
        if (reply.status >= 400 || reply.status === 0) {
          sub.error({ status: reply.status, data: reply.data ?? '', statusText: `HTTP ${reply.status}`, config: req });
          return;
        }
        sub.next({ data: reply.data, status: reply.status, ok: true, statusText: 'OK', config: req } as FetchResponse);
        sub.complete();
      });
    });
  }
}

/** A reply that never comes (for loading states). */
export const never: Handler = () => new Promise<FakeReply>(() => undefined);
