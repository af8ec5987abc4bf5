import { describe, expect, it } from 'vitest';
import { SHARD_COUNT } from '../../../server/core/shard.js';
import { fairShare, planRebalance } from '../../../server/timer/leases.js';

describe('fair share of shards', () => {
  it.each([
    [0, 256],
    [1, 256],
    [2, 128],
    [3, 86],
    [4, 64],
    [5, 52],
    [7, 37],
    [256, 1],
    [300, 1],
  ])('with %i live nodes each node takes up to %i shards', (nodes, share) => {
    expect(fairShare(nodes)).toBe(share);
  });

  it('always covers every shard: live nodes x share >= shard count', () => {
    for (let n = 1; n <= 300; n++) expect(n * fairShare(n)).toBeGreaterThanOrEqual(SHARD_COUNT);
  });
});

describe('rebalancing toward the share', () => {
  it('drains the excess when holding more than the share', () => {
    expect(planRebalance(256, 0, 86)).toEqual({ drain: 170, undrain: 0, acquire: 0 });
  });
  it('stops draining before acquiring new shards when the share grows back', () => {
    expect(planRebalance(86, 40, 128)).toEqual({ drain: 0, undrain: 40, acquire: 2 });
    expect(planRebalance(86, 40, 100)).toEqual({ drain: 0, undrain: 14, acquire: 0 });
  });
  it('acquires the deficit', () => {
    expect(planRebalance(0, 0, 128)).toEqual({ drain: 0, undrain: 0, acquire: 128 });
    expect(planRebalance(128, 0, 128)).toEqual({ drain: 0, undrain: 0, acquire: 0 });
  });
});
