import type { Database } from '../store/database.js';
import { pgArray } from '../store/sql/values.js';
import { LOAD_SIGNING_SECRETS_SQL } from './sql/load-signing-secrets.js';

interface Entry {
  secrets: string[] | null;
  fetchedAt: number;
}

/**
 * Project signing secrets, cached briefly: a rotation (new `signing_secret`, old one kept in
 * `previous_signing_secret`) reaches outgoing calls within `ttlMs`. Calls are signed with the
 * current secret first, then the previous one. The claim path prefetches the projects of what
 * it claimed, so the fire path normally finds them here without a database round trip.
 */
export class SecretCache {
  private readonly entries = new Map<string, Entry>();
  /** Loads under way, by project: a burst of fires for one unknown project makes one query. */
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Cached secrets (possibly stale), undefined when unknown; null when the project is gone. */
  peek(projectId: string): string[] | null | undefined {
    return this.entries.get(projectId)?.secrets;
  }

  /** Loads projects that are missing or older than the TTL (joining loads already under way). */
  async prefetch(projectIds: Iterable<string>): Promise<void> {
    const now = this.now();
    const waits: Promise<void>[] = [];
    const ids: string[] = [];
    for (const id of new Set(projectIds)) {
      const e = this.entries.get(id);
      if (e && now - e.fetchedAt <= this.ttlMs) continue;
      const under = this.loading.get(id);
      if (under) waits.push(under);
      else ids.push(id);
    }
    if (ids.length > 0) {
      const p = this.load(ids, now).finally(() => {
        for (const id of ids) if (this.loading.get(id) === p) this.loading.delete(id);
      });
      for (const id of ids) this.loading.set(id, p);
      waits.push(p);
    }
    await Promise.all(waits);
  }

  private async load(ids: string[], now: number): Promise<void> {
    const rows = await this.db.query<{ id: string; signing_secret: string; previous_signing_secret: string | null }>(
      LOAD_SIGNING_SECRETS_SQL,
      [pgArray(ids)],
      'tock_signing_secrets',
    );
    const found = new Set<string>();
    for (const r of rows) {
      found.add(r.id);
      const secrets = [r.signing_secret];
      if (r.previous_signing_secret) secrets.push(r.previous_signing_secret);
      this.entries.set(r.id, { secrets, fetchedAt: now });
    }
    for (const id of ids) if (!found.has(id)) this.entries.set(id, { secrets: null, fetchedAt: now });
    if (this.entries.size > 100_000) {
      for (const [id, e] of this.entries) if (now - e.fetchedAt > this.ttlMs) this.entries.delete(id);
    }
  }

  async get(projectId: string): Promise<string[] | null> {
    const e = this.entries.get(projectId);
    if (e && this.now() - e.fetchedAt <= this.ttlMs) return e.secrets;
    await this.prefetch([projectId]);
    return this.entries.get(projectId)?.secrets ?? null;
  }
}
