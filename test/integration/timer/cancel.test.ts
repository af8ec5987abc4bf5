import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../../server/core/index.js';
import { JobAlreadyExecutedError } from '../../../server/core/errors.js';
import type { RunningScheduler } from '../../../server/timer/index.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { LOOPBACK_TARGETS } from '../../helpers/core.js';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

/**
 * Cancelling what the timer claimed ahead of its time (see the cancel invariant in
 * server/store/job-transitions.ts): until the dispatch mark a claimed job can be cancelled and is then
 * never sent; from the mark on the cancel answers job_already_executed and the call goes out.
 */

let w: TimerWorld;
let r: Receiver;
let node: RunningScheduler;
let release: (() => void) | null = null;

const CLAIM_AHEAD = 2_000;

beforeAll(async () => {
  w = await timerWorld();
  r = await new Receiver((req, res) => {
    if (req.url === '/held') release = () => res.writeHead(200).end('ok');
    else res.writeHead(200).end('ok');
  }).listen();
  node = await w.node({ claimAheadMs: CLAIM_AHEAD }, 'cancel');
});
afterAll(async () => {
  release?.();
  await w?.close();
  await r?.close();
});

let sentinels = 0;
/**
 * A job due at `atMs`, awaited at the receiver: the timer fires in due order, so once it is in,
 * every moment before `atMs` has passed on the timer (no fixed sleep).
 */
async function passed(atMs: number): Promise<void> {
  const path = `/sentinel-${++sentinels}`;
  await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}${path}`, scheduledAt: new Date(atMs) });
  await until(() => r.to(path).length === 1, { timeoutMs: 10_000, message: `sentinel ${path}` });
}

describe('cancelling a job the timer has claimed but not dispatched', () => {
  it('succeeds: the job is cancelled, nothing is sent after its due time, no execution is written', async () => {
    const toldBefore = (await node.stats()).cancelled.told;
    const due = Date.now() + 1_500;
    const job = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/claimed`, scheduledAt: new Date(due) });
    // Claimed ahead (woken in process): running, attempt counted, not dispatched.
    await until(async () => (await w.jobState(job.id)).status === 'running', { timeoutMs: 5_000, message: 'job claimed' });
    expect(await w.jobState(job.id)).toMatchObject({ status: 'running', attempts: 1, dispatched: false });
    expect(Date.now()).toBeLessThan(due - 500);

    const c = await w.t.core.jobs.cancel(w.tenant.actor, job.id);
    expect(c).toMatchObject({ status: 'cancelled', attempts: 0, nextAttemptAt: null });
    // Told in process: the node dropped it (now, or when its claim's answer came in).
    await until(async () => (await node.stats()).cancelled.told === toldBefore + 1);

    await passed(due + 300);
    expect(r.to('/claimed')).toHaveLength(0);
    expect(await w.jobState(job.id)).toEqual({ status: 'cancelled', attempts: 0, dispatched: false, executions: 0 });
  });

  it('succeeds even when the owning node is never told: its dispatch mark is refused', async () => {
    // A core whose waker says nothing to anyone: only the database can stop the call.
    const silent = createCore({ db: w.db, publicUrl: 'http://tock.test', allowTargets: LOOPBACK_TARGETS });
    const refusedBefore = (await node.stats()).cancelled.refusedAtMark;
    const due = Date.now() + 1_500;
    const job = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/untold`, scheduledAt: new Date(due) });
    await until(async () => (await w.jobState(job.id)).status === 'running', { timeoutMs: 5_000, message: 'job claimed' });

    expect((await silent.jobs.cancel(w.tenant.actor, job.id)).status).toBe('cancelled');
    await passed(due + 300);
    expect(r.to('/untold')).toHaveLength(0);
    expect(await w.jobState(job.id)).toEqual({ status: 'cancelled', attempts: 0, dispatched: false, executions: 0 });
    expect((await node.stats()).cancelled.refusedAtMark).toBe(refusedBefore + 1);
  });

  it('answers job_already_executed once the job is marked dispatched, and the call goes out', async () => {
    // A node of its own (own database) marking 1.5 s ahead: a wide window between mark and call.
    const w2 = await timerWorld();
    try {
      await w2.node({ claimAheadMs: CLAIM_AHEAD, dispatchMarkMs: 1_500 }, 'wide-mark');
      const tenant = await w2.t.tenant('wide');
      const job = await w2.t.core.jobs.create(tenant.actor, { url: `${r.url}/marked`, scheduledAt: new Date(Date.now() + 1_900) });
      await until(
        async () => {
          const [j] = await w2.db.execute<{ d: boolean }>(`select dispatched_at is not null as d from jobs where id = ?`, [job.id]);
          return j.d;
        },
        { timeoutMs: 5_000, message: 'job marked dispatched' },
      );
      expect(r.to('/marked')).toHaveLength(0);

      const err = await rejectionOf(w2.t.core.jobs.cancel(tenant.actor, job.id));
      expect(err).toBeInstanceOf(JobAlreadyExecutedError);
      expect(err.code).toBe('job_already_executed');
      await until(() => r.to('/marked').length === 1, { timeoutMs: 5_000 });
      expect(r.to('/marked')[0].headers['webhook-id']).toBe(job.id);
      await until(async () => (await w2.t.core.jobs.get(tenant.actor, job.id)).status === 'succeeded');
    } finally {
      await w2.close();
    }
  });

  it('answers job_already_executed while the call is in flight', async () => {
    const job = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/held`, scheduledAt: new Date(Date.now() + 200) });
    await until(() => r.to('/held').length === 1, { timeoutMs: 5_000 });
    expect((await w.jobState(job.id)).status).toBe('running');
    const err = await rejectionOf(w.t.core.jobs.cancel(w.tenant.actor, job.id));
    expect(err).toBeInstanceOf(JobAlreadyExecutedError);
    release?.();
    release = null;
    await until(async () => (await w.jobState(job.id)).status === 'succeeded');
  });

  it('a burst of cancels around the dispatch moment: each job is either cancelled and never called, or called once and the cancel refused', async () => {
    const due = Date.now() + 2_500;
    const jobs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/race-${i}`, scheduledAt: new Date(due) })),
    );
    // Cancels spread from 600 ms before the due moment to 180 ms after it: across the mark.
    const outcomes = await Promise.all(
      jobs.map(
        (job, i) =>
          new Promise<'cancelled' | 'refused'>((resolve, reject) => {
            setTimeout(
              () => {
                w.t.core.jobs
                  .cancel(w.tenant.actor, job.id)
                  .then((c) => resolve(c.status === 'cancelled' ? 'cancelled' : 'refused'))
                  .catch((err) => (err instanceof JobAlreadyExecutedError ? resolve('refused') : reject(err)));
              },
              Math.max(0, due - 600 + i * 20 - Date.now()),
            );
          }),
      ),
    );
    await until(
      async () => {
        const [{ n }] = await w.db.execute<{ n: number }>(`select count(*)::int as n from jobs where id = any(?::text[]) and status in ('scheduled', 'running')`, [
          `{${jobs.map((j) => j.id).join(',')}}`,
        ]);
        return n === 0;
      },
      { timeoutMs: 10_000 },
    );
    const cancelled = outcomes.filter((o) => o === 'cancelled').length;
    for (const [i, job] of jobs.entries()) {
      const got = r.to(`/race-${i}`);
      const state = await w.jobState(job.id);
      if (outcomes[i] === 'cancelled') {
        expect(got, `job ${i} cancelled but called`).toHaveLength(0);
        expect(state).toMatchObject({ status: 'cancelled', executions: 0 });
      } else {
        expect(got, `job ${i}: cancel refused, so called once`).toHaveLength(1);
        expect(state).toMatchObject({ status: 'succeeded', executions: 1 });
      }
    }
    // Both sides of the race happened.
    expect(cancelled).toBeGreaterThan(0);
    expect(cancelled).toBeLessThan(jobs.length);
    console.info(`[timer] cancel burst: ${cancelled} cancelled, ${jobs.length - cancelled} refused (sent)`);
  });
});

describe('pausing or deleting a schedule drops its claimed, undispatched ticks', () => {
  async function claimedTicks(scheduleId: string): Promise<Array<{ id: string; scheduled_ms: number }>> {
    return w.db.execute<{ id: string; scheduled_ms: number }>(
      `select id, floor(extract(epoch from scheduled_at) * 1000)::float8 as scheduled_ms
         from jobs where schedule_id = ? and status = 'running' and dispatched_at is null order by scheduled_at`,
      [scheduleId],
    );
  }

  for (const action of ['pause', 'delete'] as const) {
    it(`${action}: no call for any tick after the ${action} returned; the claimed ticks are cancelled without executions`, async () => {
      const path = `/every-second-${action}`;
      const s = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}${path}`, cron: '* * * * * *' });
      await until(() => r.to(path).length >= 1, { timeoutMs: 5_000 });
      // Right after a tick arrived: the next ones (2 s of claim-ahead) are claimed, not yet marked.
      const claimed = await claimedTicks(s.id);
      expect(claimed.length).toBeGreaterThanOrEqual(1);

      if (action === 'pause') await w.t.core.schedules.pause(w.tenant.actor, s.id);
      else await w.t.core.schedules.delete(w.tenant.actor, s.id);
      const returnedAt = Date.now();

      await passed(returnedAt + CLAIM_AHEAD + 500);
      const late = r.to(path).filter((q) => Date.parse(String(q.headers['x-tock-scheduled-at'])) > returnedAt);
      expect(late.map((q) => q.headers['x-tock-scheduled-at'])).toEqual([]);
      for (const t of claimed) {
        expect(await w.jobState(t.id), `tick at ${new Date(t.scheduled_ms).toISOString()}`).toEqual({
          status: 'cancelled',
          attempts: 0,
          dispatched: false,
          executions: 0,
        });
      }
    });
  }
});
