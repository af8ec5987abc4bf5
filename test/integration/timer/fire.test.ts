import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../server/executor/index.js';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

let w: TimerWorld;
let r: Receiver;

beforeAll(async () => {
  w = await timerWorld();
  r = await new Receiver().listen();
  // A refill interval far longer than the tests: what fires on time got there by the wake path.
  await w.node({ claimAheadMs: 2_000, horizonMs: 120_000, refillIntervalMs: 100_000 }, 'fire');
});
afterAll(async () => {
  await w?.close();
  await r?.close();
});

async function signingSecret(projectId: string): Promise<string> {
  const [row] = await w.db.execute<{ signing_secret: string }>('select signing_secret from projects where id = ?', [projectId]);
  return row.signing_secret;
}

describe('firing schedules and jobs', () => {
  it('fires a schedule every second into the receiver with its (schedule, scheduled_at) and Standard Webhooks headers', async () => {
    const s = await w.t.core.schedules.create(w.tenant.actor, {
      url: `${r.url}/every-second`,
      cron: '* * * * * *',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
      body: '{"hello":"world"}',
    });
    await until(() => r.to('/every-second').length >= 3, { timeoutMs: 8_000 });

    const secret = await signingSecret(w.tenant.projectId);
    const got = r.to('/every-second').slice(0, 3);
    const times = got.map((q) => Date.parse(String(q.headers['x-tock-scheduled-at'])));
    for (const q of got) {
      expect(q.method).toBe('POST');
      expect(q.body).toBe('{"hello":"world"}');
      expect(q.headers['x-custom']).toBe('yes');
      expect(q.headers['x-tock-schedule-id']).toBe(s.id);
      expect(q.headers['webhook-id']).toBe(q.headers['x-tock-job-id']);
      expect(q.headers['webhook-id']).toMatch(/^job_/);
      expect(verifySignature(secret, q.headers as Record<string, string>, q.body)).toBe(true);
      expect(q.at).toBeGreaterThanOrEqual(Date.parse(String(q.headers['x-tock-scheduled-at'])));
    }
    // Consecutive whole seconds, each one once.
    for (const t of times) expect(t % 1000).toBe(0);
    expect(times[1] - times[0]).toBe(1000);
    expect(times[2] - times[1]).toBe(1000);

    // The jobs and executions rows agree with what was received.
    await until(async () => {
      const rows = await w.db.execute<{ n: number }>(
        `select count(*)::int as n from jobs j join executions e on e.job_id = j.id
          where j.schedule_id = ? and j.status = 'succeeded' and e.status = 'succeeded' and e.status_code = 200`,
        [s.id],
      );
      return rows[0].n >= 3;
    });
    const [job] = await w.db.execute<{ source: string; attempts: number; scheduled_at_ms: number }>(
      `select source, attempts, floor(extract(epoch from scheduled_at) * 1000)::float8 as scheduled_at_ms from jobs where id = ?`,
      [got[0].headers['webhook-id']],
    );
    expect(job).toMatchObject({ source: 'schedule', attempts: 1, scheduled_at_ms: times[0] });
    const [sched] = await w.db.execute<{ last_status: string; has_last_run: boolean }>(
      `select last_status, last_run_at is not null as has_last_run from schedules where id = ?`,
      [s.id],
    );
    expect(sched).toEqual({ last_status: 'succeeded', has_last_run: true });
    await w.t.core.schedules.pause(w.tenant.actor, s.id);
  });

  it('fires a one-time job created 2 s ahead at its time (wake, claim ahead, timer)', async () => {
    const lateness: number[] = [];
    for (let i = 0; i < 3; i++) {
      const at = Date.now() + 2_000;
      const job = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/once-${i}`, method: 'GET', scheduledAt: new Date(at) });
      await until(() => r.to(`/once-${i}`).length === 1, { timeoutMs: 5_000 });
      const q = r.to(`/once-${i}`)[0];
      expect(q.headers['webhook-id']).toBe(job.id);
      expect(q.at).toBeGreaterThanOrEqual(at);
      lateness.push(q.at - at);
    }
    // Correctness, not a benchmark: a loose bound well above the ~1-10 ms usually seen.
    expect(Math.max(...lateness)).toBeLessThan(1_000);
    console.info(`[timer] one-time job lateness (ms): ${lateness.join(', ')}`);
  });

  it('runs a manual trigger of a schedule as a job of its own, without moving the schedule', async () => {
    const s = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/manual`, cron: '0 0 1 1 *' });
    const job = await w.t.core.schedules.trigger(w.tenant.actor, s.id);
    await until(() => r.to('/manual').length === 1, { timeoutMs: 5_000 });
    expect(r.to('/manual')[0].headers['x-tock-schedule-id']).toBe(s.id);
    expect(r.to('/manual')[0].headers['webhook-id']).toBe(job.id);
    const after = await w.t.core.schedules.get(w.tenant.actor, s.id);
    expect(after.nextRunAt?.toISOString()).toBe(s.nextRunAt?.toISOString());
  });
});
