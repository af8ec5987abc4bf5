import { TtlCache } from '../cache.js';
import type { Clock } from '../clock.js';
import type { Principal } from '../types.js';

/**
 * What every request reads before its work, cached per node: the principal behind a secret's
 * hash, and the project a principal acts on. A revoke or a project delete made on this node
 * drops its entries at once; one made on another node is seen here within the TTL, since every
 * entry is read again after it. Unknown keys and projects are never cached.
 */
export const AUTH_CACHE_TTL_MS = 1_000;
export const AUTH_CACHE_MAX_ENTRIES = 10_000;

export class AuthCaches {
  /** SHA-256 of a secret -> the principal of its (unrevoked) key. */
  readonly principals: TtlCache<string, Principal>;
  /** `account \0 project asked for (or the key's own, or '' for the account's oldest)` -> the project id. */
  readonly projects: TtlCache<string, string>;

  constructor(clock: Clock) {
    const nowMs = () => clock.now().getTime();
    this.principals = new TtlCache({ maxEntries: AUTH_CACHE_MAX_ENTRIES, ttlMs: AUTH_CACHE_TTL_MS, nowMs });
    this.projects = new TtlCache({ maxEntries: AUTH_CACHE_MAX_ENTRIES, ttlMs: AUTH_CACHE_TTL_MS, nowMs });
  }

  /** The project is gone (with its keys): no request here may act on it or with its keys any more. */
  forgetProject(id: string): void {
    this.principals.deleteWhere((p) => p.keyProjectId === id);
    this.projects.deleteWhere((projectId) => projectId === id);
  }
}
