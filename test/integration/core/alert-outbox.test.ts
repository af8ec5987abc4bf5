import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsForFinishedJob } from '../../../server/core/alerts/jobs.js';
import { ManualClock } from '../../../server/core/clock.js';
import type { Job, Schedule } from '../../../server/core/types.js';
import { insertAlerts, insertFlips, recordDelivery } from '../../../server/store/outbox.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

let t: TestCore;
let a: TestTenant;
const clock = new ManualClock(new Date('2026-05-01T10:00:00Z'));

beforeAll(async () => {
  t = await createTestCore({ clock, publicUrl: 'https://tock.example' });
  a = await t.tenant('a');
  await t.core.projects.update(a.principal, a.projectId, { notifyEmail: 'ops@example.com' });
});
afterAll(() => t.close());

/** A schedule and one of its jobs in a terminal state, as the timer's result write would leave them. */
async function failedRun(): Promise<{ schedule: Schedule; job: Job }> {
  const schedule = await t.core.schedules.create(a.actor, {
    url: 'https://app.example/run',
    intervalSeconds: 60,
    alertWebhook: 'https://hooks.slack.com/services/T/B/X',
    webhookUrl: 'https://app.example/job-done',
    webhookHeaders: { 'x-receiver-token': 'tok' },
  });
  const job = await t.core.schedules.trigger(a.actor, schedule.id);
  const finished: Job = { ...job, status: 'failed', attempts: 1, lastStatusCode: 503, lastError: 'unexpected HTTP status 503 (expected 2xx)', finishedAt: clock.now(), nextAttemptAt: null };
  return { schedule, job: finished };
}

async function project() {
  return t.core.projects.get(a.principal, a.projectId);
}

describe('the alert outbox', () => {
  it('takes the rows of a finished job inside the result transaction, once however often it is written', async () => {
    const { schedule, job } = await failedRun();
    const plan = alertsForFinishedJob({ job, execution: null, schedule, run: true, project: await project() }, 'http://tock.test', clock.now());
    expect(plan.alerts.map((x) => `${x.event} ${x.format}`).sort()).toEqual(['job.failed email', 'job.failed job', 'job.failed slack']);

    const write = async () => {
      // Each write plans anew (new alert ids), as a retried result write would.
      const again = alertsForFinishedJob({ job, execution: null, schedule, run: true, project: await project() }, 'http://tock.test', clock.now());
      return t.database.db.em().transactional(async (em) => {
        await em.execute(`update jobs set status = 'failed', next_attempt_at = null where id = ?`, [job.id]);
        await em.execute(`update schedules set last_status = 'failed', failure_streak = ? where id = ?`, [plan.failureStreak, schedule.id]);
        const inserted = await insertAlerts(em, again.alerts);
        if (plan.flip) await insertFlips(em, [plan.flip]);
        return inserted;
      });
    };
    expect(await write()).toHaveLength(3);
    // A retried result write (new alert ids, same change) adds nothing.
    expect(await write()).toHaveLength(0);
    const scheduleAlerts = (await t.core.alerts.list(a.actor, 'schedule', schedule.id)).items;
    const jobAlerts = (await t.core.alerts.list(a.actor, 'job', job.id)).items;
    expect(scheduleAlerts.map((x) => x.target).sort()).toEqual(['https://hooks.slack.com/services/T/B/X', 'ops@example.com']);
    expect(jobAlerts.map((x) => [x.event, x.target, x.shard])).toEqual([['job.failed', 'https://app.example/job-done', schedule.shard]]);
    // Listing leaves the receiver's headers out.
    expect(jobAlerts[0]).not.toHaveProperty('headers');
    const [headers] = await t.database.db.execute<{ headers: Record<string, string> }>(`select headers from alerts where id = ?`, [jobAlerts[0].id]);
    expect(headers.headers).toEqual({ 'x-receiver-token': 'tok' });
    expect((await t.core.alerts.listFlips(a.actor, 'schedule', schedule.id)).items.map((f) => `${f.fromStatus}->${f.toStatus}`)).toEqual(['null->failing']);
  });

  it('keeps nothing of a result transaction that rolls back', async () => {
    const { schedule, job } = await failedRun();
    const plan = alertsForFinishedJob({ job, execution: null, schedule, run: true, project: await project() }, 'http://tock.test', clock.now());
    await expect(
      t.database.db.em().transactional(async (em) => {
        await insertAlerts(em, plan.alerts);
        await insertFlips(em, [plan.flip!]);
        throw new Error('the result write lost its lease');
      }),
    ).rejects.toThrow('lost its lease');
    expect((await t.core.alerts.list(a.actor, 'schedule', schedule.id)).items).toEqual([]);
    expect((await t.core.alerts.listFlips(a.actor, 'schedule', schedule.id)).items).toEqual([]);
  });

  it('records a delivery attempt once: the first record of an attempt wins, a second is refused', async () => {
    const { schedule, job } = await failedRun();
    const plan = alertsForFinishedJob({ job, execution: null, schedule, run: true, project: await project() }, 'http://tock.test', clock.now());
    const [id] = await t.database.db.em().transactional((em) => insertAlerts(em, plan.alerts.slice(0, 1)));
    const retryAt = new Date(clock.now().getTime() + 30_000);
    expect(await recordDelivery(t.database.db, id, 0, { kind: 'retry', at: clock.now(), nextAttemptAt: retryAt, error: 'HTTP 500' })).toBe(true);
    expect(await recordDelivery(t.database.db, id, 0, { kind: 'delivered', at: clock.now() })).toBe(false);
    expect(await recordDelivery(t.database.db, id, 1, { kind: 'delivered', at: clock.now() })).toBe(true);
    const [row] = (await t.core.alerts.list(a.actor, plan.alerts[0].subjectType, plan.alerts[0].subjectId)).items.filter((x) => x.id === id);
    expect(row).toMatchObject({ status: 'delivered', attempts: 2, lastError: null, nextAttemptAt: retryAt, sentAt: clock.now() });
    expect(await recordDelivery(t.database.db, id, 2, { kind: 'failed', at: clock.now(), error: 'late' })).toBe(false);
  });
});

describe('alert settings', () => {
  it('projects take notification channels, checked like every other address', async () => {
    const b = await t.tenant('settings');
    const p = await t.core.projects.update(b.principal, b.projectId, { notifyEmail: 'team@example.com', notifyWebhookUrl: 'https://hooks.slack.com/services/A/B/C' });
    expect(p).toMatchObject({ notifyEmail: 'team@example.com', notifyWebhookUrl: 'https://hooks.slack.com/services/A/B/C', notifyWebhookFormat: 'auto' });
    expect(await t.core.projects.get(b.principal, b.projectId)).toMatchObject({ notifyEmail: 'team@example.com' });
    expect(await t.core.projects.update(b.principal, b.projectId, { notifyEmail: null, notifyWebhookFormat: 'json' })).toMatchObject({ notifyEmail: null, notifyWebhookFormat: 'json' });
    await expect(t.core.projects.update(b.principal, b.projectId, { notifyEmail: 'nope' })).rejects.toMatchObject({ field: 'notify_email' });
    await expect(t.core.projects.update(b.principal, b.projectId, { notifyWebhookUrl: 'ftp://x' })).rejects.toMatchObject({ code: 'invalid_url', field: 'notify_webhook_url' });
  });

  it('schedules keep their job webhook and alert policy; a manual run inherits the webhook', async () => {
    const s = await t.core.schedules.create(a.actor, {
      url: 'https://app.example/run',
      intervalSeconds: 60,
      webhookUrl: 'https://app.example/done',
      webhookHeaders: { 'x-token': 't' },
      alertPolicy: 'after_failures',
      alertAfterFailures: 2,
    });
    expect(s).toMatchObject({ webhookUrl: 'https://app.example/done', webhookHeaders: { 'x-token': 't' }, alertPolicy: 'after_failures', alertAfterFailures: 2, failureStreak: 0 });
    expect(await t.core.schedules.get(a.actor, s.id)).toMatchObject({ webhookHeaders: { 'x-token': 't' }, alertAfterFailures: 2 });
    const job = await t.core.schedules.trigger(a.actor, s.id);
    expect(job).toMatchObject({ webhookUrl: 'https://app.example/done', webhookHeaders: { 'x-token': 't' } });
    await expect(t.core.schedules.update(a.actor, s.id, { webhookUrl: 'not a url' })).rejects.toMatchObject({ field: 'webhook_url' });
    await expect(t.core.schedules.update(a.actor, s.id, { webhookHeaders: { 'bad header': 'x' } })).rejects.toMatchObject({ message: expect.stringMatching(/^webhook_headers/) });
  });

  it('one-time jobs keep their webhook headers', async () => {
    const j = await t.core.jobs.create(a.actor, { url: 'https://app.example/charge', webhookUrl: 'https://app.example/done', webhookHeaders: { authorization: 'Bearer x' } });
    expect((await t.core.jobs.get(a.actor, j.id)).webhookHeaders).toEqual({ authorization: 'Bearer x' });
  });
});
