import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createCore } from '../../../server/core/index.js';
import { createNotifyWaker } from '../../../server/timer/index.js';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

let w: TimerWorld;
let r: Receiver;
const postgres = inject('dbMode') === 'postgres';

beforeAll(async () => {
  w = await timerWorld();
  r = await new Receiver().listen();
});
afterAll(async () => {
  await w?.close();
  await r?.close();
});

describe.skipIf(!postgres)('wakes across nodes (LISTEN/NOTIFY)', () => {
  it('a job created on an API-only node fires on time on a timer node told only by NOTIFY', async () => {
    // The timer node's waker is not connected to this core: only NOTIFY can tell it.
    const timer = await w.node({ claimAheadMs: 2_000, horizonMs: 120_000, refillIntervalMs: 100_000 }, 'listener');
    w.wakers.length = 0;
    const apiCore = createCore({ db: w.db, waker: createNotifyWaker(w.db), publicUrl: 'http://tock.test' });
    // Let the first (full) refill pass, so only a wake can bring the new job in.
    await until(() => timer.stats().shards.held === 256);
    await new Promise((res) => setTimeout(res, 300));

    const at = Date.now() + 2_000;
    const job = await apiCore.jobs.create(w.tenant.actor, { url: `${r.url}/notified`, method: 'POST', scheduledAt: new Date(at) });
    await until(() => r.to('/notified').length === 1, { timeoutMs: 5_000 });
    const q = r.to('/notified')[0];
    expect(q.headers['webhook-id']).toBe(job.id);
    expect(q.at - at).toBeGreaterThanOrEqual(0);
    expect(q.at - at).toBeLessThan(1_000);
  });
});
