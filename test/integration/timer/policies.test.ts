import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIPPED_ERROR } from '../../../server/core/jobs/attempts.js';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

let w: TimerWorld;
let r: Receiver;

beforeAll(async () => {
  w = await timerWorld();
  r = await new Receiver((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2_500);
    else res.writeHead(200).end();
  }).listen();
  await w.node({}, 'policies');
});
afterAll(async () => {
  await w?.close();
  await r?.close();
});

const HOUR = 3_600_000;

/** Creates a paused schedule, then "downtime": active with next_run_at in the past, set by SQL. */
async function missed(path: string, input: { cron?: string; intervalSeconds?: number; misfire?: 'fire_once' | 'skip' }, agoMs: number) {
  const s = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}${path}`, state: 'paused', ...input });
  const missedAt = new Date(Math.floor((Date.now() - agoMs) / 1000) * 1000);
  await w.db.execute(`update schedules set state = 'active', next_run_at = ? where id = ?`, [missedAt.toISOString(), s.id]);
  w.wakers.forEach((k) => k.wake('schedule', s.shard, missedAt));
  return { s, missedAt };
}

async function nextRunAt(id: string): Promise<number | null> {
  const [row] = await w.db.execute<{ ms: number | null }>(`select floor(extract(epoch from next_run_at) * 1000)::float8 as ms from schedules where id = ?`, [id]);
  return row.ms;
}

describe('overlap policy', () => {
  it('forbid: a tick that finds the previous run still running is recorded as skipped', async () => {
    const s = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/slow`, cron: '* * * * * *', overlap: 'forbid', timeoutMs: 10_000 });
    // The first run takes 2.5 s: the ticks of the next two seconds find it running.
    await until(
      async () => {
        const [row] = await w.db.execute<{ n: number }>(
          `select count(*)::int as n from jobs where schedule_id = ? and status = 'succeeded'`,
          [s.id],
        );
        return row.n >= 1;
      },
      { timeoutMs: 8_000 },
    );
    await w.t.core.schedules.pause(w.tenant.actor, s.id);
    await until(async () => {
      const [row] = await w.db.execute<{ n: number }>(`select count(*)::int as n from jobs where schedule_id = ? and status in ('running', 'scheduled')`, [s.id]);
      return row.n === 0;
    });
    const skipped = await w.db.execute<{ job_status: string; status: string; error: string; attempt: number }>(
      `select j.status as job_status, e.status, e.error, e.attempt
         from jobs j join executions e on e.job_id = j.id
        where j.schedule_id = ? and e.status = 'skipped' order by j.scheduled_at`,
      [s.id],
    );
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    for (const row of skipped) expect(row).toEqual({ job_status: 'cancelled', status: 'skipped', error: SKIPPED_ERROR, attempt: 1 });
    // No two calls overlapped: every call started after the previous one finished (2.5 s each).
    const calls = r.to('/slow');
    for (let i = 1; i < calls.length; i++) expect(calls[i].at - calls[i - 1].at).toBeGreaterThanOrEqual(2_400);
    // A skipped tick is not a run: last_status comes from the real runs.
    const sched = await w.t.core.schedules.get(w.tenant.actor, s.id);
    expect(sched.lastStatus).toBe('succeeded');
  });

  it('allow: runs overlap', async () => {
    const s = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/slow`, cron: '* * * * * *', timeoutMs: 10_000, headers: { 'x-which': 'allow' } });
    await until(() => r.to('/slow').filter((q) => q.headers['x-which'] === 'allow').length >= 3, { timeoutMs: 8_000 });
    await w.t.core.schedules.pause(w.tenant.actor, s.id);
    const [row] = await w.db.execute<{ n: number }>(`select count(*)::int as n from executions where schedule_id = ? and status = 'skipped'`, [s.id]);
    expect(row.n).toBe(0);
  });
});

describe('misfire policy after downtime', () => {
  it('fire_once: one catch-up run for every missed occurrence, then next_run_at jumps to the future', async () => {
    const { s, missedAt } = await missed('/fire-once', { cron: '*/10 * * * *', misfire: 'fire_once' }, 2 * HOUR);
    await until(() => r.to('/fire-once').length === 1, { timeoutMs: 5_000 });
    const q = r.to('/fire-once')[0];
    expect(q.headers['x-tock-scheduled-at']).toBe(missedAt.toISOString());
    expect(q.headers['x-tock-schedule-id']).toBe(s.id);
    const next = await nextRunAt(s.id);
    expect(next).toBeGreaterThan(Date.now());
    expect(next! - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    await new Promise((res) => setTimeout(res, 500));
    expect(r.to('/fire-once')).toHaveLength(1);
  });

  it('skip: no run for the missed occurrences, next_run_at jumps to the future', async () => {
    const { s, missedAt } = await missed('/skip', { intervalSeconds: 600, misfire: 'skip' }, 2 * HOUR);
    await until(async () => ((await nextRunAt(s.id)) ?? 0) > Date.now(), { timeoutMs: 5_000 });
    // Intervals keep their cadence from the missed occurrence.
    const next = (await nextRunAt(s.id))!;
    expect((next - missedAt.getTime()) % 600_000).toBe(0);
    await new Promise((res) => setTimeout(res, 500));
    expect(r.to('/skip')).toHaveLength(0);
    const [row] = await w.db.execute<{ n: number }>(`select count(*)::int as n from jobs where schedule_id = ?`, [s.id]);
    expect(row.n).toBe(0);
  });

  it('a tick late by less than the threshold fires late, every missed occurrence once (failover loses nothing)', async () => {
    const { s, missedAt } = await missed('/late', { cron: '* * * * * *', misfire: 'skip' }, 5_000);
    await until(() => r.to('/late').length >= 7, { timeoutMs: 5_000 });
    await w.t.core.schedules.pause(w.tenant.actor, s.id);
    const times = r.to('/late').map((q) => Date.parse(String(q.headers['x-tock-scheduled-at'])));
    expect(new Set(times).size).toBe(times.length);
    const sorted = [...times].sort((a, b) => a - b);
    expect(sorted[0]).toBe(missedAt.getTime());
    for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).toBe(1000);
  });
});
