import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricValues } from '../../../server/timer/index.js';
import { timerWorld, type TimerWorld } from './harness.js';

/**
 * The lease counters of a node's registry: a lease taken from a node that let it expire is a
 * takeover (and a loss for the node that had it); a free lease (never held, or released) is not.
 */
let w: TimerWorld;
beforeAll(async () => {
  w = await timerWorld();
});
afterAll(async () => {
  await w?.close();
});

const counter = (values: MetricValues, name: string): number => values.get(name)?.get('') ?? NaN;

describe('lease takeover metrics', () => {
  it('count expired leases of another node taken over, and the same shards as lost by their holder, but not free leases', async () => {
    const n = w.manual({}, 'taker');
    try {
      const first = await n.leaseStep();
      expect(first.acquired).toHaveLength(256);
      expect(first.takenOver).toEqual([]);
      let v = await n.metrics.read();
      expect(counter(v, 'tock_timer_lease_takeovers_total')).toBe(0);
      expect(counter(v, 'tock_timer_leases_lost_total')).toBe(0);

      // Another node took shards 0-9 and then died: its leases are owned and expired.
      await w.db.execute(
        `update shard_leases set owner = 'node_dead', epoch = epoch + 1, expires_at = now() - interval '1 second' where shard < 10`,
      );
      const change = await n.leaseStep();
      const shards = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
      expect([...change.lost].sort((a, b) => a - b)).toEqual(shards);
      expect([...change.takenOver].sort((a, b) => a - b)).toEqual(shards);
      v = await n.metrics.read();
      expect(counter(v, 'tock_timer_lease_takeovers_total')).toBe(10);
      expect(counter(v, 'tock_timer_leases_lost_total')).toBe(10);
      expect(await n.metrics.registry.metrics()).toMatch(/^tock_timer_lease_takeovers_total\{node="[^"]+"\} 10$/m);
    } finally {
      await n.stop(500);
    }
  });
});
