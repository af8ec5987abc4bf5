import { describe, expect, it } from 'vitest';
import type { FireItem } from '../../../server/timer/fire.js';
import { OwnedItems, type Owned } from '../../../server/timer/owned.js';

const item = (jobId: string, dueMs: number, shard = 1): FireItem => ({
  jobId,
  projectId: 'project_1',
  scheduleId: null,
  shard,
  epoch: 3,
  source: 'api',
  dueMs,
  scheduledAtMs: dueMs,
  attempt: 1,
  call: { url: 'http://127.0.0.1/x', method: 'POST', headers: {}, body: null, timeoutMs: 1_000, maxRetries: 0, retryBackoffMs: 1_000, retryBackoffMaxMs: 1_000, expectedStatus: [], webhookUrl: null, webhookHeaders: {} },
  overlap: 'allow',
  dispatched: false,
});

function items() {
  const armed: number[] = [];
  const released: string[] = [];
  const owned = new OwnedItems({ armed: (dueMs) => armed.push(dueMs), released: (o: Owned) => released.push(o.item.jobId) });
  return { owned, armed, released };
}

describe('the owned-attempt state machine', () => {
  it('walks an attempt claimed -> marking -> armed -> inflight -> writing, then releases it', () => {
    const { owned, armed, released } = items();
    const o = owned.own(item('job_a', 100), 'claimed');
    expect(owned.markable(100).map((x) => x.item.jobId)).toEqual(['job_a']);
    expect(o.state).toBe('marking');
    owned.move(o, 'armed');
    expect(armed).toEqual([100]);
    owned.move(o, 'inflight');
    owned.move(o, 'writing');
    expect(owned.quiet(1)).toBe(false);
    owned.release(o);
    expect(owned.size).toBe(0);
    expect(owned.quiet(1)).toBe(true);
    expect(released).toEqual(['job_a']);
  });

  it('refuses moves the timer never makes', () => {
    const { owned } = items();
    const o = owned.own(item('job_a', 100), 'claimed');
    expect(() => owned.move(o, 'inflight')).toThrow(/cannot go from claimed to inflight/);
    owned.markable(100);
    owned.move(o, 'armed');
    expect(() => owned.move(o, 'claimed')).toThrow(/cannot go from armed to claimed/);
    owned.move(o, 'writing');
    expect(() => owned.move(o, 'armed')).toThrow();
    expect(() => owned.own(item('job_a', 100), 'claimed')).toThrow(/owned already/);
  });

  it('hands the mark step only claimed attempts due by its horizon, earliest first, and puts an unanswered mark back', () => {
    const { owned } = items();
    owned.own(item('job_late', 500), 'claimed');
    owned.own(item('job_b', 200), 'claimed');
    owned.own(item('job_a', 100), 'claimed');
    owned.own(item('job_marked', 150), 'armed');
    const first = owned.markable(250);
    expect(first.map((o) => o.item.jobId)).toEqual(['job_a', 'job_b']);
    expect(owned.nextClaimedDue()).toBe(500);
    for (const o of first) owned.move(o, 'claimed');
    expect(owned.nextClaimedDue()).toBe(100);
    expect(owned.markable(250).map((o) => o.item.jobId)).toEqual(['job_a', 'job_b']);
  });

  it('groups armed attempts by due time: one hook per due time, stale entries recognisable', () => {
    const { owned, armed } = items();
    const a = owned.own({ ...item('job_a', 100), dispatched: true }, 'armed');
    owned.own({ ...item('job_b', 100), dispatched: true }, 'armed');
    owned.own({ ...item('job_c', 300), dispatched: true }, 'armed');
    expect(armed).toEqual([100, 300]);
    owned.release(a);
    const group = owned.takeArmed(100)!;
    expect(group.filter((o) => owned.is(o, 'armed')).map((o) => o.item.jobId)).toEqual(['job_b']);
    expect(owned.nextArmedDue()).toBe(300);
  });

  it('lists what has not gone out, per shard, for a lost shard or a hand-back', () => {
    const { owned } = items();
    owned.own(item('job_claimed', 100, 1), 'claimed');
    const sent = owned.own({ ...item('job_sent', 100, 1), dispatched: true }, 'armed');
    owned.move(sent, 'inflight');
    owned.own(item('job_other_shard', 100, 2), 'claimed');
    expect(owned.unsent(new Set([1])).map((o) => o.item.jobId)).toEqual(['job_claimed']);
    expect(owned.unsent().map((o) => o.item.jobId).sort()).toEqual(['job_claimed', 'job_other_shard']);
    expect(owned.counts()).toMatchObject({ claimed: 2, inflight: 1, armed: 0 });
  });

  it('keeps a deferred attempt deferred until it is fired again, however often it is deferred', () => {
    const { owned } = items();
    const o = owned.own({ ...item('job_a', 100), dispatched: true }, 'armed');
    owned.move(o, 'deferred');
    expect(owned.takeDeferred()).toEqual([o]);
    owned.move(o, 'deferred');
    expect(owned.takeDeferred()).toEqual([o]);
    owned.move(o, 'inflight');
    expect(owned.takeDeferred()).toEqual([]);
  });
});
