import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createCore, type Core } from '../../../server/core/index.js';
import { createNotifyWaker, WAKE_CHANNEL, type RunningScheduler } from '../../../server/timer/index.js';
import { WakePublisher } from '../../../server/timer/wake.js';
import { LOOPBACK_TARGETS } from '../../helpers/core.js';
import { silentLogger } from '../../../server/timer/options.js';
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
  let apiWaker: ReturnType<typeof createNotifyWaker>;

  beforeAll(async () => {
    // The timer node's waker is not connected to the API core: only NOTIFY can tell it.
    timer = await w.node({ claimAheadMs: 2_000, horizonMs: 120_000, refillIntervalMs: 100_000 }, 'listener');
    w.wakers.length = 0;
    apiWaker = createNotifyWaker(w.db);
    apiCore = createCore({ db: w.db, waker: apiWaker, publicUrl: 'http://tock.test', allowTargets: LOOPBACK_TARGETS });
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

  it('wakes asked for while a NOTIFY is in flight go out together in one statement, one per shard with the earliest due time', async () => {
    const heard: string[] = [];
    const listener = new pg.Client({ connectionString: w.url });
    await listener.connect();
    listener.on('notification', (m) => {
      if (m.payload?.endsWith(':coalesce-test')) heard.push(m.payload);
    });
    await listener.query(`listen ${WAKE_CHANNEL}`);
    try {
      const p = new WakePublisher(w.db, silentLogger, 'coalesce-test');
      p.wake('job', 7, 5_000); // the bus is idle: sent at once
      p.wake('job', 7, 3_000);
      p.wake('job', 7, 4_000);
      p.wake('job', 8, 6_000);
      p.wake('schedule', 7, 9_000);
      await p.drain();
      expect(p.counts).toEqual({ statements: 2, requested: 5, sent: 4 });
      await until(() => heard.length === 4);
      expect(heard[0]).toBe('job:7:5000:coalesce-test');
      expect(heard.slice(1).sort()).toEqual(['job:7:3000:coalesce-test', 'job:8:6000:coalesce-test', 'schedule:7:9000:coalesce-test']);
    } finally {
      await listener.end();
    }
  });

  it('200 creates landing together on an API-only node share a few NOTIFY statements, and each job still fires once, not before its time', async () => {
    const before = { ...apiWaker.publisher.counts };
    const at = Date.now() + 2_000;
    const jobs = await Promise.all(
      Array.from({ length: 200 }, () => apiCore.jobs.create(w.tenant.actor, { url: `${r.url}/together`, scheduledAt: new Date(at) })),
    );
    await apiWaker.publisher.drain();
    const statements = apiWaker.publisher.counts.statements - before.statements;
    const sent = apiWaker.publisher.counts.sent - before.sent;
    expect(apiWaker.publisher.counts.requested - before.requested).toBe(200);
    // At most one wake per shard (256) per statement; far fewer statements than creates.
    expect(statements).toBeLessThan(50);
    expect(sent).toBeLessThan(200);
    await until(() => r.to('/together').length === 200, { timeoutMs: 6_000 });
    const got = r.to('/together');
    expect(new Set(got.map((q) => String(q.headers['webhook-id'])))).toEqual(new Set(jobs.map((j) => j.id)));
    expect(got).toHaveLength(200);
    for (const q of got) expect(q.at).toBeGreaterThanOrEqual(at);
  });
});
