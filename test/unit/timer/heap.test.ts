import { describe, expect, it } from 'vitest';
import { DueQueue, DueQueues, type JobDue, type ScheduleDue } from '../../../server/timer/due-queue.js';
import { MinHeap } from '../../../server/timer/heap.js';

const job = (id: string, dueMs: number, shard = 0): JobDue => ({ kind: 'job', id, shard, dueMs, status: 'scheduled' });

describe('MinHeap', () => {
  it('pops numbers in ascending order whatever the push order', () => {
    const h = new MinHeap<number>((a, b) => a < b);
    const values = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1009);
    for (const v of values) h.push(v);
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop()!);
    expect(out).toEqual([...values].sort((a, b) => a - b));
    expect(h.pop()).toBeUndefined();
  });

  it('keeps order when pushes and pops interleave', () => {
    const h = new MinHeap<number>((a, b) => a < b);
    h.push(5);
    h.push(1);
    expect(h.pop()).toBe(1);
    h.push(3);
    h.push(0);
    expect(h.peek()).toBe(0);
    expect([h.pop(), h.pop(), h.pop()]).toEqual([0, 3, 5]);
  });
});

describe('DueQueue', () => {
  it('orders by due time, then kind, then id', () => {
    const q = new DueQueue();
    q.push(job('b', 100));
    q.push({ kind: 'schedule', id: 'a', shard: 0, dueMs: 100, expectedNextRun: '0.100', cron: null, timezone: 'UTC', intervalSeconds: 1, misfire: 'skip' });
    q.push(job('a', 100));
    q.push(job('c', 50));
    expect(q.popUntil(1000).map((e) => `${e.kind}:${e.id}`)).toEqual(['job:c', 'job:a', 'job:b', 'schedule:a']);
  });

  it('keeps one live entry per id: pushing again replaces the due time', () => {
    const q = new DueQueue();
    q.push(job('x', 500));
    q.push(job('x', 100));
    q.push(job('y', 300));
    expect(q.size).toBe(2);
    expect(q.popUntil(1000).map((e) => [e.id, e.dueMs])).toEqual([
      ['x', 100],
      ['y', 300],
    ]);
    expect(q.peekDueMs()).toBeNull();
  });

  it('pops only what is due by the given time', () => {
    const q = new DueQueue();
    for (const [id, at] of [['a', 10], ['b', 20], ['c', 30]] as const) q.push(job(id, at));
    expect(q.popUntil(20).map((e) => e.id)).toEqual(['a', 'b']);
    expect(q.peekDueMs()).toBe(30);
  });

  it('forgets entries of dropped shards and removed ids', () => {
    const q = new DueQueue();
    q.push(job('a', 10, 1));
    q.push(job('b', 20, 2));
    q.push(job('c', 30, 2));
    q.push(job('d', 40, 3));
    q.dropShards([2]);
    q.remove('job', 'd');
    expect(q.popUntil(100).map((e) => e.id)).toEqual(['a']);
  });
});

const schedule = (id: string, dueMs: number): ScheduleDue => ({
  kind: 'schedule',
  id,
  shard: 0,
  dueMs,
  expectedNextRun: String(dueMs / 1000),
  cron: null,
  timezone: 'UTC',
  intervalSeconds: 1,
  misfire: 'skip',
});

describe('DueQueues (one queue per kind of due work)', () => {
  it('pops by claim moment (due time minus the kind\'s lead), across kinds, up to a limit', () => {
    const q = new DueQueues([
      { kind: 'schedule', leadMs: 0 },
      { kind: 'job', leadMs: 500 },
    ]);
    q.push(schedule('s1', 600));
    q.push(job('j1', 700)); // claim moment 200
    q.push(job('j2', 1_400)); // 900
    q.push(schedule('s2', 400));
    q.push(schedule('s3', 1_000));
    expect(q.nextClaimAt()).toBe(200);
    expect(q.popClaimable(650, 10).map((e) => e.id)).toEqual(['j1', 's2', 's1']);
    expect(q.popClaimable(2_000, 1).map((e) => e.id)).toEqual(['j2']);
    expect(q.size).toBe(1);
    expect(q.has('schedule', 's3')).toBe(true);
    expect(q.handles('job') && !q.handles('monitor')).toBe(true);
  });
});
