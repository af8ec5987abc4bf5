import { describe, expect, it } from 'vitest';
import { decodeBase32, encodeBase32, idOfUuid, idTimestamp, isId, newId, uuidOfId } from '../../../server/core/ids.js';
import { shardOf, SHARD_COUNT } from '../../../server/core/shard.js';

describe('ids', () => {
  it('are prefixed by kind and 26 base32 characters long', () => {
    expect(newId('job')).toMatch(/^job_[0-7][0-9a-hjkmnp-tv-z]{25}$/);
    expect(newId('schedule')).toMatch(/^sched_/);
    expect(newId('monitor')).toMatch(/^mon_/);
    expect(newId('execution')).toMatch(/^exec_/);
    expect(newId('project')).toMatch(/^proj_/);
  });

  it('sort in creation order, even many within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newId('job', 1_700_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const later = newId('job', 1_700_000_000_001);
    expect(later > ids[ids.length - 1]).toBe(true);
  });

  it('carry the millisecond they were made in', () => {
    const at = Date.now() + 60_000;
    expect(idTimestamp(newId('job', at))).toBe(at);
  });

  it('stay ordered when the clock steps back', () => {
    const first = newId('job', Date.now() + 120_000);
    const second = newId('job', Date.now());
    expect(second > first).toBe(true);
  });

  it('encode 128 bits as Crockford base32, most significant first (fixed vectors)', () => {
    const vectors: Array<[string, string]> = [
      ['00000000000000000000000000000000', '00000000000000000000000000'],
      ['ffffffffffffffffffffffffffffffff', '7zzzzzzzzzzzzzzzzzzzzzzzzz'],
      ['000102030405060708090a0b0c0d0e0f', '00041061050r3gg28a1c60t3gf'],
      ['0190f7a1c2d37e4f8a5b6c7d8e9fa0b1', '01j3vt3gpkfs7rmpvcfp79z85h'],
    ];
    for (const [hex, encoded] of vectors) expect(encodeBase32(Buffer.from(hex, 'hex'))).toBe(encoded);
  });

  it('are recognised by kind and shape only', () => {
    const id = newId('job');
    expect(isId('job', id)).toBe(true);
    expect(isId('schedule', id)).toBe(false);
    expect(isId('job', 'job_123')).toBe(false);
    expect(isId('job', `${id}x`)).toBe(false);
  });
});

describe('ids as UUIDs', () => {
  it('show the UUID they hold, and that UUID gives the same id back (fixed vector)', () => {
    expect(uuidOfId('sched_01j3vt3gpkfs7rmpvcfp79z85h')).toBe('0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0b1');
    expect(idOfUuid('schedule', '0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0b1')).toBe('sched_01j3vt3gpkfs7rmpvcfp79z85h');
    expect(idOfUuid('execution', '0190F7A1-C2D3-7E4F-8A5B-6C7D8E9FA0B1')).toBe('exec_01j3vt3gpkfs7rmpvcfp79z85h');
  });

  it('round-trip every new id, and the UUID is a version 7 UUID carrying the id time', () => {
    for (let i = 0; i < 2000; i++) {
      const at = Date.now() + 3_600_000 + i * 7919; // ahead of every id made before (ids are monotonic)
      const id = newId(i % 2 ? 'schedule' : 'execution', at);
      const uuid = uuidOfId(id);
      expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(uuid.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
      expect(idOfUuid(i % 2 ? 'schedule' : 'execution', uuid)).toBe(id);
    }
  });

  it('decode base32 as the inverse of encoding, for any 128 bits', () => {
    for (const hex of ['00000000000000000000000000000000', 'ffffffffffffffffffffffffffffffff', '000102030405060708090a0b0c0d0e0f']) {
      expect(decodeBase32(encodeBase32(Buffer.from(hex, 'hex')))!.toString('hex')).toBe(hex);
    }
    expect(decodeBase32('8zzzzzzzzzzzzzzzzzzzzzzzzz')).toBeNull();
    expect(decodeBase32('01j3vt3gpkfs7rmpvcfp79z85')).toBeNull();
    expect(decodeBase32('01j3vt3gpkfs7rmpvcfp79z85u')).toBeNull();
  });

  it('refuse what is not a UUID in the 8-4-4-4-12 form, and what is not an id', () => {
    for (const bad of ['', 'abc', '0190f7a1c2d37e4f8a5b6c7d8e9fa0b1', '0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0b', '0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0bg', ' 0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0b1', 'sched_01j3vt3gpkfs7rmpvcfp79z85h']) {
      expect(idOfUuid('schedule', bad)).toBeNull();
    }
    expect(() => uuidOfId('sched_123')).toThrow(/not a TypeID-style id/);
    expect(() => uuidOfId('0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0b1')).toThrow(/not a TypeID-style id/);
  });
});

describe('shards', () => {
  it('are stable for an id and spread ids over all 256 shards', () => {
    expect(shardOf('sched_01jabc')).toBe(shardOf('sched_01jabc'));
    const counts = new Array(SHARD_COUNT).fill(0);
    for (let i = 0; i < 256_00; i++) counts[shardOf(newId('schedule'))]++;
    expect(Math.min(...counts)).toBeGreaterThan(40);
    expect(Math.max(...counts)).toBeLessThan(200);
  });
});
