import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../server/store/database.js';
import { SecretCache } from '../../../server/timer/secrets.js';
import { timerWorld, type TimerWorld } from './harness.js';

let w: TimerWorld;

beforeAll(async () => {
  w = await timerWorld();
});
afterAll(async () => {
  await w?.close();
});

/** The same database, counting the statements sent through it. */
function counting(db: Database): { db: Database; count: () => number } {
  let n = 0;
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'execute' || prop === 'query') {
        const fn = Reflect.get(target, prop) as (...a: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => {
          n++;
          return fn.apply(target, args);
        };
      }
      return Reflect.get(target, prop);
    },
  });
  return { db: proxy, count: () => n };
}

describe('signing secrets cache', () => {
  it('a burst of fires for a project not cached yet makes one query, and every fire gets its secrets', async () => {
    const c = counting(w.db);
    const cache = new SecretCache(c.db, 30_000);
    const got = await Promise.all(Array.from({ length: 200 }, () => cache.get(w.tenant.projectId)));
    expect(c.count()).toBe(1);
    const [row] = await w.db.execute<{ signing_secret: string }>('select signing_secret from projects where id = ?', [w.tenant.projectId]);
    for (const s of got) expect(s).toEqual([row.signing_secret]);
    // Cached now: no further query within the TTL.
    await cache.get(w.tenant.projectId);
    await cache.prefetch([w.tenant.projectId]);
    expect(c.count()).toBe(1);
  });

  it('answers null for a project that does not exist, once', async () => {
    const c = counting(w.db);
    const cache = new SecretCache(c.db, 30_000);
    const got = await Promise.all([cache.get('project_missing'), cache.get('project_missing')]);
    expect(got).toEqual([null, null]);
    expect(c.count()).toBe(1);
  });
});
