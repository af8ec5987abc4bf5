import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../../server/core/cache.js';

function counted<V>(answer: (key: string) => V | null) {
  const loads: string[] = [];
  return {
    loads,
    load: async (key: string) => {
      loads.push(key);
      return answer(key);
    },
  };
}

describe('TtlCache', () => {
  it('answers from the cache until the TTL passes, then loads again', async () => {
    let now = 0;
    const cache = new TtlCache<string, string>({ maxEntries: 10, ttlMs: 1_000, nowMs: () => now });
    const l = counted((k) => `v:${k}`);
    expect(await cache.get('a', l.load)).toBe('v:a');
    now = 999;
    expect(await cache.get('a', l.load)).toBe('v:a');
    expect(l.loads).toEqual(['a']);
    now = 1_000;
    expect(await cache.get('a', l.load)).toBe('v:a');
    expect(l.loads).toEqual(['a', 'a']);
  });

  it('shares one load among concurrent lookups of a key', async () => {
    const cache = new TtlCache<string, number>({ maxEntries: 10, ttlMs: 1_000 });
    let release!: (v: number) => void;
    let loads = 0;
    const load = () => {
      loads++;
      return new Promise<number>((r) => (release = r));
    };
    const all = Promise.all([cache.get('k', load), cache.get('k', load), cache.get('k', load)]);
    release(7);
    expect(await all).toEqual([7, 7, 7]);
    expect(loads).toBe(1);
  });

  it('never keeps a miss or a failure', async () => {
    const cache = new TtlCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
    const miss = counted(() => null);
    expect(await cache.get('unknown', miss.load)).toBeNull();
    expect(await cache.get('unknown', miss.load)).toBeNull();
    expect(miss.loads).toHaveLength(2);
    expect(cache.size).toBe(0);
    await expect(cache.get('broken', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(cache.size).toBe(0);
    expect(await cache.get('broken', async () => 'back')).toBe('back');
  });

  it('stays within its bound, dropping the least recently used entry', async () => {
    const cache = new TtlCache<string, string>({ maxEntries: 3, ttlMs: 60_000 });
    const l = counted((k) => k);
    for (const k of ['a', 'b', 'c']) await cache.get(k, l.load);
    await cache.get('a', l.load); // a is now the most recently used
    await cache.get('d', l.load); // evicts b
    expect(cache.size).toBe(3);
    l.loads.length = 0;
    for (const k of ['a', 'c', 'd']) await cache.get(k, l.load);
    expect(l.loads).toEqual([]);
    await cache.get('b', l.load);
    expect(l.loads).toEqual(['b']);
  });

  it('does not grow past its bound with 100,000 distinct keys, found or not', async () => {
    const cache = new TtlCache<string, string>({ maxEntries: 1_000, ttlMs: 60_000 });
    let peak = 0;
    const found = Array.from({ length: 100_000 }, (_, i) => cache.get(`good${i}`, async (k) => k).then(() => (peak = Math.max(peak, cache.size))));
    await Promise.all(found);
    expect(peak).toBeLessThanOrEqual(1_000);
    expect(cache.size).toBe(1_000);
    cache.deleteWhere(() => true);
    const missing = Array.from({ length: 100_000 }, (_, i) => cache.get(`bad${i}`, async () => null));
    expect(cache.size).toBeLessThanOrEqual(1_000);
    await Promise.all(missing);
    expect(cache.size).toBe(0);
  });

  it('forgets a deleted key, even while its load is in flight', async () => {
    const cache = new TtlCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
    let release!: (v: string) => void;
    const inFlight = cache.get('k', () => new Promise<string>((r) => (release = r)));
    cache.delete('k');
    release('stale');
    expect(await inFlight).toBe('stale'); // the lookup that started before the delete gets its answer
    expect(await cache.get('k', async () => 'fresh')).toBe('fresh');
  });

  it('deletes by value, and drops loads in flight whose value is not known yet', async () => {
    const cache = new TtlCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
    await cache.get('a', async () => 'project1');
    await cache.get('b', async () => 'project2');
    let release!: (v: string) => void;
    const pending = cache.get('c', () => new Promise<string>((r) => (release = r)));
    cache.deleteWhere((v) => v === 'project1');
    release('project1');
    await pending;
    const l = counted((k) => `reloaded:${k}`);
    expect(await cache.get('a', l.load)).toBe('reloaded:a');
    expect(await cache.get('b', l.load)).toBe('project2');
    expect(await cache.get('c', l.load)).toBe('reloaded:c');
    expect(l.loads).toEqual(['a', 'c']);
  });
});
