// Objects whose ETag changed since or while they loaded, and what PIPEWARDEN_ON_CHANGE made
// of them: fail (the run stops and names them), skip (what was loaded stays) or reload (the
// new version loads; its rows go through the duplicate policy).
import type { Config, Logger } from '@pipewarden/core';
import type { LoaderMetrics } from '../metrics';
import type { SourceObject } from '../source';

export class ObjectChanges {
  /** The summary's `objects_changed`: object key → what the policy did. */
  readonly outcome: Record<string, 'skipped' | 'reloaded'> = {};

  constructor(
    private readonly policy: Config['onChange'],
    private readonly metrics: LoaderMetrics,
    private readonly log: Logger,
  ) {}

  /** The object changed and is skipped for the rest of the run. */
  skipped(key: string): boolean {
    return this.outcome[key] === 'skipped';
  }

  /**
   * PIPEWARDEN_ON_CHANGE for an object whose ETag changed (`when`: since it was loaded, or
   * while it loaded): true when it loads (reload), false when it does not (skip; fail, for
   * which the caller raises the error).
   */
  decide(obj: SourceObject, was: string, when: string): boolean {
    const { policy } = this;
    if (policy === 'fail') return false;
    const action = policy === 'skip' ? 'skipped' : 'reloaded';
    if (this.outcome[obj.key] !== action) {
      this.outcome[obj.key] = action;
      this.metrics.objectsChanged.inc({ action });
      this.log.warn(policy === 'skip' ? `object changed ${when}; skipped (PIPEWARDEN_ON_CHANGE=skip): what was loaded of it stays` : `object changed ${when}; loading the new version (PIPEWARDEN_ON_CHANGE=reload)`, { object: obj.key, was, now: obj.etag });
    }
    return policy === 'reload';
  }
}
