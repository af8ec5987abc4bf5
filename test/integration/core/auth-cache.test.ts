import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_CACHE_MAX_ENTRIES, AUTH_CACHE_TTL_MS } from '../../../server/core/auth/cache.js';
import { ManualClock } from '../../../server/core/clock.js';
import { createCore, NotFoundError, UnauthenticatedError, type Core } from '../../../server/core/index.js';
import type { Principal } from '../../../server/core/types.js';
import { Database } from '../../../server/store/database.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

/**
 * Two nodes on one database: two Cores, each with its own connection pool and its own caches.
 * What one node changes, the other sees within the cache TTL; the node that changed it at once.
 */

/** Awaits `check()` resolving true, polling, for at most `deadlineMs`; returns how long it took. */
async function within(deadlineMs: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    if (Date.now() - t0 > deadlineMs) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const refuses = (core: Core, secret: string) =>
  core.authenticate(secret).then(
    () => false,
    (err) => err instanceof UnauthenticatedError,
  );

describe('authentication and project caches across nodes', () => {
  let database: TestDatabase;
  let dbB: Database;
  let a: Core;
  let b: Core;
  let admin: Principal;
  let accountId: string;
  let projectId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dbB = await Database.connect({ url: database.url, poolSize: 3 });
    a = createCore({ db: database.db, publicUrl: 'http://tock.test' });
    b = createCore({ db: dbB, publicUrl: 'http://tock.test' });
    const created = await a.projects.createAccount({ name: 'nodes' });
    accountId = created.account.id;
    projectId = created.project.id;
    const { secret } = await a.keys.createUnchecked({ accountId, name: 'admin', scopes: ['*'] });
    admin = await a.authenticate(secret);
  });

  afterAll(async () => {
    await dbB?.close();
    await database?.close();
  });

  it('refuses a key revoked on one node there at once, and on the other within the TTL', async () => {
    const { key, secret } = await a.keys.createUnchecked({ accountId, name: 'revoked', scopes: ['read:jobs'] });
    // Both nodes have it cached.
    expect((await a.authenticate(secret)).keyId).toBe(key.id);
    expect((await b.authenticate(secret)).keyId).toBe(key.id);
    await a.keys.revoke(admin, key.id);
    expect(await refuses(a, secret)).toBe(true);
    const tookMs = await within(AUTH_CACHE_TTL_MS + 1_000, () => refuses(b, secret));
    expect(tookMs).toBeLessThanOrEqual(AUTH_CACHE_TTL_MS + 500);
  });

  it('serves a key from a node\'s cache until the TTL passes (no read per request)', async () => {
    const clock = new ManualClock();
    const c = createCore({ db: dbB, clock, publicUrl: 'http://tock.test' });
    const { key, secret } = await a.keys.createUnchecked({ accountId, name: 'cached', scopes: ['read:jobs'] });
    expect((await c.authenticate(secret)).keyId).toBe(key.id);
    await a.keys.revoke(admin, key.id);
    clock.advance(AUTH_CACHE_TTL_MS - 1);
    expect((await c.authenticate(secret)).keyId).toBe(key.id);
    clock.advance(1);
    await expect(c.authenticate(secret)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('does not cache an unknown key as valid, nor keep it at all', async () => {
    const secret = 'tock_' + 'x'.repeat(40);
    const before = a.keys.cachedKeys;
    await expect(a.authenticate(secret)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(a.authenticate(secret)).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(a.keys.cachedKeys).toBe(before);
  });

  it('stays within its bound under many distinct bad keys', async () => {
    const before = a.keys.cachedKeys;
    let peak = 0;
    let refused = 0;
    for (let i = 0; i < 2_000; i += 100) {
      const batch = Array.from({ length: 100 }, (_, k) => `tock_bad_${i + k}_${'y'.repeat(30)}`);
      const results = await Promise.all(
        batch.map((s) => {
          const p = refuses(a, s);
          peak = Math.max(peak, a.keys.cachedKeys);
          return p;
        }),
      );
      refused += results.filter(Boolean).length;
    }
    expect(refused).toBe(2_000);
    expect(peak).toBeLessThanOrEqual(AUTH_CACHE_MAX_ENTRIES);
    expect(a.keys.cachedKeys).toBe(before);
  });

  it('refuses a project deleted on one node there at once, and on the other within the TTL', async () => {
    const extra = await a.projects.create(admin, { name: 'short-lived' });
    expect((await a.actor(admin, extra.id)).projectId).toBe(extra.id);
    expect((await b.actor(admin, extra.id)).projectId).toBe(extra.id);
    await a.projects.delete(admin, extra.id);
    await expect(a.actor(admin, extra.id)).rejects.toBeInstanceOf(NotFoundError);
    await within(AUTH_CACHE_TTL_MS + 1_000, () => b.actor(admin, extra.id).then(() => false, (err) => err instanceof NotFoundError));
  });

  it('answers NOT_FOUND, not an internal error, to a create in a project another node deleted moments ago', async () => {
    const clock = new ManualClock();
    const c = createCore({ db: dbB, clock, publicUrl: 'http://tock.test' });
    const extra = await a.projects.create(admin, { name: 'deleted-elsewhere' });
    const stale = await c.actor(admin, extra.id);
    await a.projects.delete(admin, extra.id);
    expect((await c.actor(admin, extra.id)).projectId).toBe(extra.id); // still cached on this node
    await expect(c.jobs.create(stale, { url: 'https://example.com/hook' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.schedules.create(stale, { url: 'https://example.com/hook', cron: '0 9 * * *' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.monitors.create(stale, { periodSeconds: 60 })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses the keys of a deleted project at once on the node that deleted it', async () => {
    const extra = await a.projects.create(admin, { name: 'with-keys' });
    const { secret } = await a.keys.create(admin, { name: 'scoped', projectId: extra.id });
    expect((await a.authenticate(secret)).keyProjectId).toBe(extra.id);
    await a.projects.delete(admin, extra.id);
    expect(await refuses(a, secret)).toBe(true);
  });

  it('resolves the account\'s default project through the cache and still honours the one asked for', async () => {
    expect((await a.actor(admin)).projectId).toBe(projectId);
    const second = await a.projects.create(admin, { name: 'second' });
    expect((await a.actor(admin)).projectId).toBe(projectId);
    expect((await a.actor(admin, second.id)).projectId).toBe(second.id);
    await expect(a.actor(admin, 'proj_00000000000000000000000000')).rejects.toBeInstanceOf(NotFoundError);
  });
});
