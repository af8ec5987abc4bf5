import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import { DailyExecutionLimitError, RateLimitedError } from '../../../server/core/errors.js';
import { newId } from '../../../server/core/ids.js';
import type { Job } from '../../../server/core/types.js';
import { errorDetails } from '../../../server/surfaces/shared/errors.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

/**
 * The per-project daily execution limit (TOCK_DAILY_EXECUTION_LIMIT): once the executions a
 * project started since 00:00 UTC reach it, creates are refused until the next UTC day.
 * Executions are written as the timer writes them (one row per attempt).
 */
const LIMIT = 3;
const clock = new ManualClock(new Date('2026-05-01T22:00:00Z'));
let t: TestCore;
let limited: TestCore;
let a: TestTenant;
let b: TestTenant;

async function execution(core: TestCore, job: Pick<Job, 'id' | 'projectId' | 'scheduleId'>, startedAt: Date): Promise<void> {
  await core.database.db.execute(
    `insert into executions (id, job_id, project_id, schedule_id, attempt, status, status_code, duration_ms, response_body, error, started_at, finished_at)
     values (?, ?, ?, ?, 1, 'succeeded', 200, 5, null, null, ?, ?)`,
    [newId('execution'), job.id, job.projectId, job.scheduleId, startedAt, new Date(startedAt.getTime() + 5)],
  );
}

const call = { url: 'https://example.com/run', scheduledAt: '2026-05-03T09:00:00Z' };

beforeAll(async () => {
  limited = await createTestCore({ clock, dailyExecutionLimit: LIMIT });
  a = await limited.tenant('a');
  b = await limited.tenant('b');
  t = await createTestCore({ clock, database: limited.database });
});
afterAll(() => limited.close());

describe('the daily execution limit', () => {
  it('lets a project create until its executions since 00:00 UTC reach the limit, then refuses jobs, schedules and triggers', async () => {
    const job = await limited.core.jobs.create(a.actor, call);
    const schedule = await limited.core.schedules.create(a.actor, { url: 'https://example.com/s', cron: '0 8 * * *' });
    // Yesterday's executions do not count; today's do.
    await execution(limited, job, new Date('2026-04-30T23:59:59Z'));
    for (let i = 0; i < LIMIT - 1; i++) await execution(limited, job, new Date('2026-05-01T00:00:00Z'));
    await limited.core.jobs.create(a.actor, call);

    await execution(limited, job, new Date('2026-05-01T21:00:00Z'));
    const err = await rejectionOf(limited.core.jobs.create(a.actor, call));
    expect(err).toBeInstanceOf(DailyExecutionLimitError);
    expect(err.code).toBe('daily_execution_limit');
    expect(err.message).toContain('daily execution limit reached');
    expect(err.message).toContain('2026-05-02T00:00:00.000Z');
    // A rate_limited error like the others: every surface answers 429 with Retry-After (2 h to midnight).
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(errorDetails(err as DailyExecutionLimitError)).toMatchObject({ category: 'rate_limited', retryAfterMs: 2 * 3_600_000 });

    expect((await rejectionOf(limited.core.schedules.create(a.actor, { url: 'https://example.com/s', cron: '0 9 * * *' }))).code).toBe('daily_execution_limit');
    expect((await rejectionOf(limited.core.schedules.trigger(a.actor, schedule.id))).code).toBe('daily_execution_limit');
    // Nothing was stored by the refused creates: the project still has its two jobs and one schedule.
    expect((await limited.core.jobs.list(a.actor)).items).toHaveLength(2);
    expect((await limited.core.schedules.list(a.actor)).items).toHaveLength(1);
  });

  it('counts per project: another project of the same server still creates', async () => {
    expect((await limited.core.jobs.create(b.actor, call)).status).toBe('scheduled');
  });

  it('still returns the earlier job for a replayed idempotency key, and refuses a new key', async () => {
    const first = await limited.core.jobs.createOrGet(b.actor, { ...call, idempotencyKey: 'order-1' });
    const job = first.job;
    for (let i = 0; i < LIMIT; i++) await execution(limited, job, clock.now());
    const again = await limited.core.jobs.createOrGet(b.actor, { ...call, idempotencyKey: 'order-1' });
    expect(again).toMatchObject({ created: false, job: { id: job.id } });
    expect((await rejectionOf(limited.core.jobs.createOrGet(b.actor, { ...call, idempotencyKey: 'order-2' }))).code).toBe('daily_execution_limit');
  });

  it('in a batch at the limit: a replayed key still gets its job, a bad input its own error, every other input the limit', async () => {
    const results = await limited.core.jobs.createMany(b.actor, [
      { ...call, idempotencyKey: 'order-1' },
      { ...call, idempotencyKey: 'order-3' },
      call,
      { ...call, url: 'ftp://example.com' },
    ]);
    expect(results.map((r) => [r.index, r.created, r.job?.idempotencyKey ?? null, r.error?.code ?? null])).toEqual([
      [0, false, 'order-1', null],
      [1, false, null, 'daily_execution_limit'],
      [2, false, null, 'daily_execution_limit'],
      [3, false, null, 'invalid_url'],
    ]);
    expect(await limited.core.jobs.getByIdempotencyKey(b.actor, 'order-3').catch((e: { code: string }) => e.code)).toBe('not_found');
  });

  it('checks the input before the limit: a bad create at the limit still answers what to fix', async () => {
    const err = await rejectionOf(limited.core.jobs.create(a.actor, { url: 'ftp://example.com', scheduledAt: call.scheduledAt }));
    expect(err.code).toBe('invalid_url');
  });

  it('lifts at 00:00 UTC', async () => {
    clock.set(new Date('2026-05-02T00:00:00Z'));
    expect((await limited.core.jobs.create(a.actor, call)).status).toBe('scheduled');
    expect((await limited.core.schedules.create(a.actor, { url: 'https://example.com/s', cron: '0 9 * * *' })).state).toBe('active');
  });

  it('is off by default (0): the same project over the limit creates through a core without one', async () => {
    clock.set(new Date('2026-05-02T01:00:00Z'));
    const job = await t.core.jobs.create(a.actor, call);
    for (let i = 0; i < LIMIT; i++) await execution(limited, job, clock.now());
    expect((await rejectionOf(limited.core.jobs.create(a.actor, call))).code).toBe('daily_execution_limit');
    expect((await t.core.jobs.create(a.actor, call)).status).toBe('scheduled');
  });
});
