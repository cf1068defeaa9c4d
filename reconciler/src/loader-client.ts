// The reconciler's view of the loader service: pause before repairing, restart after.
// The loader may be absent (a one-shot `pipewarden load`, or not started): that is fine.
import { fetchJson, type Config, type LoaderState, type LoaderStatus } from '@pipewarden/core';

export class LoaderClient {
  constructor(private readonly config: Config) {}

  async status(): Promise<LoaderStatus | null> {
    try {
      return await fetchJson<LoaderStatus>(`${this.config.loader.url}/status`, { token: this.config.token, timeoutMs: 1500 });
    } catch {
      return null;
    }
  }

  async state(): Promise<LoaderState> {
    return (await this.status())?.state ?? 'unreachable';
  }

  private async post(path: string): Promise<boolean> {
    try {
      await fetchJson(`${this.config.loader.url}${path}`, { method: 'POST', token: this.config.token, timeoutMs: 30000 });
      return true;
    } catch {
      return false;
    }
  }

  pause(): Promise<boolean> {
    return this.post('/pause');
  }

  restart(): Promise<boolean> {
    return this.post('/restart');
  }
}
