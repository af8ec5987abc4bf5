import { describe, expect, it } from 'vitest';
import { BoundedCache, stringBytes } from '../../../server/core/bounded-cache.js';

describe('BoundedCache', () => {
  it('drops the oldest entries when the entry bound would be passed', () => {
    const c = new BoundedCache<string, number>(3, 1_000_000, () => 1);
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) c.set(k, i);
    expect([c.get('a'), c.get('b'), c.get('c'), c.get('d')]).toEqual([undefined, 1, 2, 3]);
    expect(c.size).toBe(3);
  });

  it('drops the oldest entries until a new one fits the byte bound, and keeps no entry larger than the bound', () => {
    const c = new BoundedCache<string, string>(100, 100, (k, v) => stringBytes(k) + stringBytes(v));
    c.set('a', 'x'.repeat(20)); // 42
    c.set('b', 'x'.repeat(20)); // 42
    c.set('c', 'x'.repeat(20)); // 42: 126 > 100, so 'a' goes
    expect(c.get('a')).toBeUndefined();
    expect(c.bytes).toBe(84);
    c.set('huge', 'x'.repeat(1_000));
    expect(c.get('huge')).toBeUndefined();
    expect([c.size, c.bytes]).toEqual([2, 84]);
  });

  it('counts a replaced entry once', () => {
    const c = new BoundedCache<string, string>(10, 1_000, (_k, v) => v.length);
    c.set('k', 'aaaa');
    c.set('k', 'bb');
    expect([c.size, c.bytes, c.get('k')]).toEqual([1, 2, 'bb']);
  });
});
