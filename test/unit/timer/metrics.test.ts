import { describe, expect, it } from 'vitest';
import { latenessOf, TimerMetrics } from '../../../server/timer/metrics.js';

const gauges = (queued: number) => ({
  shards: () => ({ held: 10, draining: 2 }),
  queued: () => queued,
  owned: () => ({ claimed: 1, marking: 0, armed: 2, deferred: 0, inflight: 3, writing: 0 }),
  pendingWrites: () => 4,
});

describe('timer metrics', () => {
  it('two nodes in one process keep their own registries and counts', async () => {
    const a = new TimerMetrics('node_a', gauges(5));
    const b = new TimerMetrics('node_b', gauges(7));
    a.cancelledTold.inc();
    a.cancelledTold.inc();
    b.claimedOf('job', 3);
    const va = await a.read();
    const vb = await b.read();
    expect(va.get('tock_timer_cancelled_total')?.get('how=told')).toBe(2);
    expect(vb.get('tock_timer_cancelled_total')?.get('how=told')).toBe(0);
    expect(vb.get('tock_timer_claimed_total')?.get('kind=job')).toBe(3);
    expect(va.get('tock_timer_queued')?.get('')).toBe(5);
    expect(vb.get('tock_timer_queued')?.get('')).toBe(7);
  });

  it('serves the Prometheus text with the node label and the gauges read at that moment', async () => {
    const m = new TimerMetrics('node_x', gauges(9));
    m.loopFailed('claim');
    const text = await m.registry.metrics();
    expect(text).toContain('tock_timer_loop_errors_total{loop="claim",node="node_x"} 1');
    expect(text).toContain('tock_timer_shards{state="held",node="node_x"} 10');
    expect(text).toContain('tock_timer_owned{state="inflight",node="node_x"} 3');
    expect(text).toContain('tock_timer_queued{node="node_x"} 9');
  });

  it('summarises fire lateness from the histogram as bucket bounds', async () => {
    const m = new TimerMetrics('node_l', gauges(0));
    for (let i = 0; i < 98; i++) m.firedLate(1.5);
    m.firedLate(30);
    m.firedLate(400);
    expect(latenessOf(await m.read())).toEqual({ count: 100, p50: 2, p99: 50, max: 500 });
    expect(latenessOf(await new TimerMetrics('node_e', gauges(0)).read())).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
  });
});
