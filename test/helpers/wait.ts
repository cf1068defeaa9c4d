// Polling for a condition in integration tests: a deadline that fails with what was awaited.
import { sleep } from '@pipewarden/stack';

/**
 * Poll `probe` every 100 ms until it gives a value other than undefined or false, and return
 * that value; after `timeoutMs`, fail naming `what`.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
