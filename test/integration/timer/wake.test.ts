import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createCore, type Core } from '../../../server/core/index.js';
import { createNotifyWaker, type RunningScheduler } from '../../../server/timer/index.js';
import { LOOPBACK_TARGETS } from '../../helpers/core.js';
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
  let timer: RunningScheduler;
  let apiCore: Core;

  beforeAll(async () => {
    // The timer node's waker is not connected to the API core: only NOTIFY can tell it.
    timer = await w.node({ claimAheadMs: 2_000, horizonMs: 120_000, refillIntervalMs: 100_000 }, 'listener');
    w.wakers.length = 0;
    apiCore = createCore({ db: w.db, waker: createNotifyWaker(w.db), publicUrl: 'http://tock.test', allowTargets: LOOPBACK_TARGETS });
    // Let the first (full) refill pass, so only a wake can bring new jobs in.
    await until(async () => (await timer.stats()).shards.held === 256);
    await new Promise((res) => setTimeout(res, 300));
  });

  it('a job created on an API-only node fires on time on a timer node told only by NOTIFY', async () => {
    const at = Date.now() + 2_000;
    const job = await apiCore.jobs.create(w.tenant.actor, { url: `${r.url}/notified`, method: 'POST', scheduledAt: new Date(at) });
    await until(() => r.to('/notified').length === 1, { timeoutMs: 5_000 });
    const q = r.to('/notified')[0];
    expect(q.headers['webhook-id']).toBe(job.id);
    expect(q.at - at).toBeGreaterThanOrEqual(0);
    expect(q.at - at).toBeLessThan(1_000);
  });

  it('a cancel on an API-only node reaches the timer node by NOTIFY: the claimed job is dropped, never sent', async () => {
    const toldBefore = (await timer.stats()).cancelled.told;
    const due = Date.now() + 1_500;
    const job = await apiCore.jobs.create(w.tenant.actor, { url: `${r.url}/cancelled-elsewhere`, scheduledAt: new Date(due) });
    const state = async () =>
      (
        await w.db.execute<{ status: string; dispatched: boolean; executions: number }>(
          `select status, dispatched_at is not null as dispatched,
                  (select count(*)::int from executions e where e.job_id = j.id) as executions
             from jobs j where id = ?`,
          [job.id],
        )
      )[0];
    // Claimed ahead on the timer node (woken by NOTIFY): running, not dispatched.
    await until(async () => (await state()).status === 'running', { timeoutMs: 5_000, message: 'job claimed' });
    expect(await state()).toMatchObject({ status: 'running', dispatched: false });

    expect((await apiCore.jobs.cancel(w.tenant.actor, job.id)).status).toBe('cancelled');
    // The timer node heard of it (not only refused it at its dispatch mark).
    await until(async () => (await timer.stats()).cancelled.told === toldBefore + 1, { timeoutMs: 2_000, message: 'cancel NOTIFY received' });

    // Once a job due after it has been delivered, the timer is past its due moment.
    await apiCore.jobs.create(w.tenant.actor, { url: `${r.url}/after-cancel`, scheduledAt: new Date(due + 300) });
    await until(() => r.to('/after-cancel').length === 1, { timeoutMs: 5_000 });
    expect(r.to('/cancelled-elsewhere')).toHaveLength(0);
    expect(await state()).toEqual({ status: 'cancelled', dispatched: false, executions: 0 });
  });
});
