import { describe, expect, it } from 'vitest';
import { alertsForFinishedJob, alertsForFinishedJobs, type FinishedJob } from '../../../server/core/alerts/jobs.js';
import type { Execution, ExecutionStatus, Job, JobAlertPayload, JobStatus, Schedule } from '../../../server/core/types.js';

const NOW = new Date('2026-05-01T10:00:05Z');
const URL = 'https://tock.example';
const noProject = { notifyEmail: null, notifyWebhookUrl: null, notifyWebhookFormat: 'auto' as const };

function schedule(over: Partial<Schedule> = {}): Schedule {
  return {
    id: 'sched_01', projectId: 'proj_01', shard: 7, key: 'nightly', name: 'Nightly', description: null,
    url: 'https://app.example/run', method: 'POST', headers: {}, body: null, cron: '* * * * *', timezone: 'UTC', intervalSeconds: null,
    timeoutMs: 30_000, maxRetries: 0, retryBackoffMs: 1000, retryBackoffMaxMs: 60_000, expectedStatus: [], overlap: 'allow', misfire: 'fire_once',
    state: 'active', nextRunAt: null, lastRunAt: null, lastStatus: 'succeeded', failureStreak: 0,
    alertEmail: 'ops@example.com', alertWebhook: 'https://hooks.slack.com/services/T/B/X', alertWebhookFormat: 'auto',
    alertOnFailure: true, alertOnRecovery: true, alertPolicy: 'on_change', alertAfterFailures: null, alertReminderSeconds: null,
    webhookUrl: null, webhookHeaders: {}, createdAt: NOW, updatedAt: NOW,
    ...over,
  };
}

let seq = 0;
function finished(status: JobStatus, s: Schedule | null, over: { exec?: ExecutionStatus; job?: Partial<Job>; run?: boolean } = {}): FinishedJob {
  const id = `job_${String(++seq).padStart(2, '0')}`;
  const job: Job = {
    id, projectId: 'proj_01', scheduleId: s?.id ?? null, shard: s?.shard ?? 3, source: s ? 'schedule' : 'api', name: null, url: 'https://app.example/run', method: 'POST',
    headers: {}, body: null, scheduledAt: new Date('2026-05-01T10:00:00Z'), timeoutMs: 30_000, maxRetries: 0, retryBackoffMs: 1000, retryBackoffMaxMs: 60_000,
    expectedStatus: [], idempotencyKey: null, webhookUrl: null, webhookHeaders: {}, status, attempts: 1, nextAttemptAt: null,
    lastStatusCode: status === 'failed' ? 500 : 200, lastError: status === 'failed' ? 'unexpected HTTP status 500 (expected 2xx)' : null,
    createdAt: NOW, updatedAt: NOW, finishedAt: NOW, ...over.job,
  };
  const execution: Execution | null =
    status === 'cancelled'
      ? null
      : { id: `exec_${seq}`, jobId: id, projectId: 'proj_01', scheduleId: s?.id ?? null, attempt: 1, status: over.exec ?? (status === 'failed' ? 'failed' : 'succeeded'),
          statusCode: job.lastStatusCode, durationMs: 12, responseBody: null, error: job.lastError, startedAt: new Date('2026-05-01T10:00:00Z'), finishedAt: NOW };
  return { job, execution, schedule: s, run: over.run ?? true, project: noProject };
}

const summary = (plan: ReturnType<typeof alertsForFinishedJob>) => plan.alerts.map((a) => `${a.event} ${a.channel}:${a.format}`);

describe('alerts of a finished job', () => {
  it('a schedule failing every minute alerts once when it starts failing and once when it recovers', () => {
    const runs = [finished('failed', schedule()), finished('failed', schedule()), finished('failed', schedule()), finished('succeeded', schedule()), finished('succeeded', schedule())];
    const plans = alertsForFinishedJobs(runs, URL, NOW);
    expect(plans.map(summary)).toEqual([
      ['job.failed email:email', 'job.failed webhook:slack'],
      [],
      [],
      ['job.recovered email:email', 'job.recovered webhook:slack'],
      [],
    ]);
    expect(plans.map((p) => p.failureStreak)).toEqual([1, 2, 3, 0, 0]);
    expect(plans.map((p) => p.flip && `${p.flip.fromStatus}->${p.flip.toStatus} ${p.flip.reason}`)).toEqual(['ok->failing run_failed', null, null, 'failing->ok run_succeeded', null]);
    for (const [i, p] of plans.entries()) for (const a of p.alerts) expect(a).toMatchObject({ changeId: runs[i].job.id, subjectType: 'schedule', subjectId: 'sched_01', shard: 7, status: 'pending' });
  });

  it('carries the job, its schedule and the last attempt in the payload (Prikke notification facts)', () => {
    const [a] = alertsForFinishedJob(finished('failed', schedule()), URL, NOW).alerts;
    const p = a.payload as JobAlertPayload;
    expect(p).toMatchObject({ event: 'job.failed', at: NOW.toISOString(), link: `${URL}/schedules/sched_01`, schedule: { id: 'sched_01', key: 'nightly', name: 'Nightly', failureStreak: 1 } });
    expect(p.execution).toMatchObject({ status: 'failed', statusCode: 500, durationMs: 12, error: 'unexpected HTTP status 500 (expected 2xx)' });
  });

  it('reports a timed-out last attempt as job.timeout', () => {
    const plan = alertsForFinishedJob(finished('failed', schedule(), { exec: 'timeout' }), URL, NOW);
    expect(summary(plan)).toEqual(['job.timeout email:email', 'job.timeout webhook:slack']);
    expect(plan.flip?.reason).toBe('run_timeout');
  });

  it('keeps the flip but sends nothing when the schedule does not alert on failure or recovery', () => {
    const quiet = schedule({ alertOnFailure: false, alertOnRecovery: false });
    const failed = alertsForFinishedJob(finished('failed', quiet), URL, NOW);
    expect(failed.alerts).toEqual([]);
    expect(failed.flip?.toStatus).toBe('failing');
    const back = alertsForFinishedJob(finished('succeeded', { ...quiet, failureStreak: 2, lastStatus: 'failed' }), URL, NOW);
    expect(back.alerts).toEqual([]);
    expect(back.flip?.toStatus).toBe('ok');
  });

  it('follows the schedule alert policy: after 3 failures, and every failure', () => {
    const after3 = schedule({ alertPolicy: 'after_failures', alertAfterFailures: 3, alertWebhook: null });
    expect(alertsForFinishedJobs([1, 2, 3, 4].map(() => finished('failed', after3)), URL, NOW).map((p) => p.alerts.length)).toEqual([0, 0, 1, 0]);
    // Two failures never reached the alerting point: the recovery is silent.
    expect(alertsForFinishedJob(finished('succeeded', { ...after3, failureStreak: 2, lastStatus: 'failed' }), URL, NOW).alerts).toEqual([]);
    const every = schedule({ alertPolicy: 'every_failure', alertWebhook: null });
    expect(alertsForFinishedJobs([1, 2, 3].map(() => finished('failed', every)), URL, NOW).map((p) => p.alerts.length)).toEqual([1, 1, 1]);
  });

  it('sends the project notifications too, each receiver once', () => {
    const f = finished('failed', schedule());
    f.project = { notifyEmail: 'OPS@example.com', notifyWebhookUrl: 'https://discord.com/api/webhooks/1/x', notifyWebhookFormat: 'auto' };
    expect(summary(alertsForFinishedJob(f, URL, NOW))).toEqual(['job.failed email:email', 'job.failed webhook:slack', 'job.failed webhook:discord']);
  });

  it("records a schedule's first run as its first health, without a from", () => {
    const plan = alertsForFinishedJob(finished('succeeded', schedule({ lastStatus: null })), URL, NOW);
    expect(plan.flip).toMatchObject({ fromStatus: null, toStatus: 'ok', subjectType: 'schedule', subjectId: 'sched_01' });
    expect(plan.alerts).toEqual([]);
  });

  it("sends a job's own terminal webhook with its headers, in the job format", () => {
    const plan = alertsForFinishedJob(finished('succeeded', null, { job: { webhookUrl: 'https://app.example/done', webhookHeaders: { 'x-token': 's3cret' } } }), URL, NOW);
    expect(plan.alerts).toHaveLength(1);
    expect(plan.alerts[0]).toMatchObject({ event: 'job.completed', channel: 'webhook', format: 'job', target: 'https://app.example/done', headers: { 'x-token': 's3cret' }, subjectType: 'job', shard: 3 });
  });

  it('lets a spawned job inherit the webhook of its schedule, and sends job.cancelled for a cancel', () => {
    const s = schedule({ webhookUrl: 'https://app.example/hook', webhookHeaders: { authorization: 'Bearer t' }, alertEmail: null, alertWebhook: null });
    const done = alertsForFinishedJob(finished('succeeded', s), URL, NOW).alerts;
    expect(done.map((a) => [a.event, a.target, a.headers])).toEqual([['job.completed', 'https://app.example/hook', { authorization: 'Bearer t' }]]);
    const cancelled = alertsForFinishedJob(finished('cancelled', s), URL, NOW);
    expect(cancelled.alerts.map((a) => a.event)).toEqual(['job.cancelled']);
    expect([cancelled.flip, cancelled.failureStreak]).toEqual([null, null]);
  });

  it('alerts a failed one-time job to the project notifications', () => {
    const f = finished('failed', null);
    f.project = { notifyEmail: 'ops@example.com', notifyWebhookUrl: null, notifyWebhookFormat: 'auto' };
    const plan = alertsForFinishedJob(f, URL, NOW);
    expect(summary(plan)).toEqual(['job.failed email:email']);
    expect(plan.alerts[0]).toMatchObject({ subjectType: 'job', subjectId: f.job.id });
    expect((plan.alerts[0].payload as JobAlertPayload).link).toBe(`${URL}/jobs/${f.job.id}`);
  });

  it('leaves the schedule health alone for a job that is not a run (a skipped tick)', () => {
    const plan = alertsForFinishedJob(finished('failed', schedule(), { run: false }), URL, NOW);
    expect(plan).toEqual({ alerts: [], flip: null, failureStreak: null });
  });
});
