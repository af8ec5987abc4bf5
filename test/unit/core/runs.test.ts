import { describe, expect, it } from 'vitest';
import { RUN_FIELDS, runJob } from '../../../server/core/schedules/runs.js';
import type { Schedule } from '../../../server/core/types.js';

const schedule: Schedule = {
  id: 'sched_1',
  projectId: 'project_1',
  shard: 42,
  key: null,
  name: 'nightly',
  description: null,
  url: 'https://example.com/hook',
  method: 'PUT',
  headers: { 'x-a': '1' },
  body: '{"a":1}',
  cron: '0 3 * * *',
  timezone: 'Europe/Berlin',
  intervalSeconds: null,
  timeoutMs: 5_000,
  maxRetries: 3,
  retryBackoffMs: 250,
  retryBackoffMaxMs: 8_000,
  expectedStatus: [200, 204],
  overlap: 'forbid',
  misfire: 'skip',
  state: 'active',
  nextRunAt: null,
  lastRunAt: null,
  lastStatus: null,
  alertEmail: null,
  alertWebhook: null,
  alertOnFailure: true,
  alertOnRecovery: true,
  alertWebhookFormat: 'auto',
  alertPolicy: 'on_change',
  alertAfterFailures: null,
  alertReminderSeconds: null,
  failureStreak: 0,
  webhookUrl: 'https://example.com/done',
  webhookHeaders: { 'x-token': 't' },
  createdAt: new Date(0),
  updatedAt: new Date(0),
};

describe("a schedule's run", () => {
  it("copies the schedule's call and retry policy into a new job on the schedule's shard, due at the run's time", () => {
    const at = new Date(1_000_000);
    const job = runJob(schedule, { id: 'job_1', source: 'manual', scheduledAt: at, now: at });
    for (const f of RUN_FIELDS) expect(job[f], f).toEqual(schedule[f]);
    expect(job).toMatchObject({ id: 'job_1', scheduleId: 'sched_1', projectId: 'project_1', shard: 42, source: 'manual', status: 'scheduled', attempts: 0 });
    expect(job.nextAttemptAt).toEqual(at);
  });
});
