import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import { createCore } from '../../../server/core/index.js';
import { IdempotencyConflictError, JobAlreadyExecutedError, NotFoundError } from '../../../server/core/errors.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

let t: TestCore;
let a: TestTenant;
const clock = new ManualClock(new Date('2026-05-01T10:00:00Z'));

beforeAll(async () => {
  t = await createTestCore({ clock });
  a = await t.tenant('a');
});
afterAll(() => t.close());

const call = { url: 'https://example.com/run' };

describe('one-time jobs', () => {
  it('are scheduled at the given time, with defaults for the rest', async () => {
    const job = await t.core.jobs.create(a.actor, { ...call, scheduledAt: '2026-05-01T10:05:00Z', headers: { a: 'b' } });
    expect(job).toMatchObject({ status: 'scheduled', source: 'api', attempts: 0, method: 'POST', scheduleId: null, headers: { a: 'b' } });
    expect(job.id).toMatch(/^job_/);
    expect(job.scheduledAt.toISOString()).toBe('2026-05-01T10:05:00.000Z');
    expect(job.nextAttemptAt?.toISOString()).toBe('2026-05-01T10:05:00.000Z');
    const got = await t.core.jobs.get(a.actor, job.id);
    expect(got.scheduledAt.toISOString()).toBe('2026-05-01T10:05:00.000Z');
  });

  it('default to now when no time is given', async () => {
    const job = await t.core.jobs.create(a.actor, call);
    expect(job.scheduledAt.getTime()).toBe(clock.now().getTime());
  });

  it.each([
    [{ url: 'https://e.com', scheduledAt: 'tomorrow' }, 'invalid_argument', 'scheduled_at', "scheduled_at: 'tomorrow' is not a date"],
    [{ url: 'https://e.com', scheduledAt: '2040-01-01T00:00:00Z' }, 'invalid_argument', 'scheduled_at', 'within 5 years'],
    [{ url: 'gopher://e.com' }, 'invalid_url', 'url', "scheme 'gopher' is not allowed"],
    [{ url: 'https://e.com', webhookUrl: 'nope' }, 'invalid_url', 'webhook_url', "Invalid URL 'nope'"],
    [{ url: 'https://e.com', idempotencyKey: '' }, 'invalid_argument', 'idempotency_key', 'must not be empty'],
    [{ url: 'https://e.com', expectedStatus: [200, 700] }, 'invalid_argument', 'expected_status[1]', 'status codes are 100-599'],
    [{ url: 'https://e.com', headers: { 'transfer-encoding': 'chunked' } }, 'invalid_argument', 'headers.transfer-encoding', 'set by the HTTP client'],
    [{}, 'invalid_argument', 'url', 'url: is required'],
    [{ url: 'https://e.com', name: 'a\u0000b' }, 'invalid_argument', 'name', 'name: must not contain NUL characters'],
    [{ url: 'https://e.com', body: 'a\u0000b' }, 'invalid_argument', 'body', 'body: must not contain NUL characters'],
    [{ url: 'https://e.com', idempotencyKey: 'a\u0000b' }, 'invalid_argument', 'idempotency_key', 'idempotency_key: must not contain NUL characters'],
  ])('reject %j with %s on %s', async (input, code, field, message) => {
    const err = await rejectionOf(t.core.jobs.create(a.actor, input as never));
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });
});

describe('idempotency keys', () => {
  it('return the first job when the same call is made again with the same key', async () => {
    const first = await t.core.jobs.createOrGet(a.actor, { ...call, idempotencyKey: 'order-1' });
    const again = await t.core.jobs.createOrGet(a.actor, { ...call, idempotencyKey: 'order-1' });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.job.id).toBe(first.job.id);
  });

  it('refuse the same key for a different call', async () => {
    await t.core.jobs.create(a.actor, { ...call, idempotencyKey: 'order-2' });
    const err = await rejectionOf(t.core.jobs.create(a.actor, { url: 'https://example.com/other', idempotencyKey: 'order-2' }));
    expect(err).toBeInstanceOf(IdempotencyConflictError);
    expect(err.code).toBe('idempotency_conflict');
  });

  it('are scoped to a project', async () => {
    const b = await t.tenant('b');
    const mine = await t.core.jobs.create(a.actor, { ...call, idempotencyKey: 'shared' });
    const theirs = await t.core.jobs.create(b.actor, { ...call, idempotencyKey: 'shared' });
    expect(theirs.id).not.toBe(mine.id);
  });
});

describe('cancelling', () => {
  it('cancels a scheduled job, and cancelling again changes nothing', async () => {
    const job = await t.core.jobs.create(a.actor, { ...call, scheduledAt: '2026-05-02T00:00:00Z' });
    const c = await t.core.jobs.cancel(a.actor, job.id);
    expect(c).toMatchObject({ status: 'cancelled', nextAttemptAt: null });
    expect((await t.core.jobs.cancel(a.actor, job.id)).status).toBe('cancelled');
    expect((await t.core.jobs.get(a.actor, job.id)).status).toBe('cancelled');
  });

  it('cancels a job the timer claimed ahead but has not dispatched; the claimed attempt is given back and the timer told', async () => {
    const told: Array<[string, number, string]> = [];
    const core = createCore({ db: t.database.db, clock, waker: { wake: () => {}, cancelled: (k, s, id) => told.push([k, s, id]) }, publicUrl: 'http://tock.test' });
    const job = await core.jobs.create(a.actor, call);
    // What the timer's claim does: running, attempt counted, fenced by a lease epoch; not dispatched.
    await t.database.db.execute(`update jobs set status = 'running', attempts = 1, lease_epoch = 7 where id = ?`, [job.id]);
    const c = await core.jobs.cancel(a.actor, job.id);
    expect(c).toMatchObject({ status: 'cancelled', attempts: 0, nextAttemptAt: null });
    expect(await core.jobs.get(a.actor, job.id)).toMatchObject({ status: 'cancelled', attempts: 0, nextAttemptAt: null });
    expect(told).toEqual([['job', job.shard, job.id]]);
    // The timer's dispatch mark (running under its epoch) now changes nothing.
    const marked = await t.database.db.execute(`update jobs set dispatched_at = now() where id = ? and status = 'running' and lease_epoch = 7 returning id`, [
      job.id,
    ]);
    expect(marked).toHaveLength(0);
  });

  it('refuses with job_already_executed once the timer marked the claimed job dispatched', async () => {
    const job = await t.core.jobs.create(a.actor, call);
    await t.database.db.execute(`update jobs set status = 'running', attempts = 1, lease_epoch = 7, dispatched_at = now() where id = ?`, [job.id]);
    const err = await rejectionOf(t.core.jobs.cancel(a.actor, job.id));
    expect(err).toBeInstanceOf(JobAlreadyExecutedError);
    expect(err.message).toBe(`Job '${job.id}' cannot be cancelled: it is already running`);
    expect((await t.core.jobs.get(a.actor, job.id)).status).toBe('running');
  });

  it.each(['running', 'succeeded', 'failed'])('refuses with job_already_executed once the job is %s (dispatched)', async (status) => {
    const job = await t.core.jobs.create(a.actor, call);
    await t.database.db.execute('update jobs set status = ?, dispatched_at = now() where id = ?', [status, job.id]);
    const err = await rejectionOf(t.core.jobs.cancel(a.actor, job.id));
    expect(err).toBeInstanceOf(JobAlreadyExecutedError);
    expect(err.code).toBe('job_already_executed');
    expect(err.message).toBe(`Job '${job.id}' cannot be cancelled: it is already ${status}`);
  });

  it('answers not found for an unknown or malformed id', async () => {
    await expect(t.core.jobs.cancel(a.actor, 'job_01kmv00000000000000000000x')).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.core.jobs.cancel(a.actor, "'; drop table jobs; --")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('listing jobs', () => {
  it('lists newest first, filters by status, and pages', async () => {
    const c = await t.tenant('c');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.core.jobs.create(c.actor, call)).id);
    await t.core.jobs.cancel(c.actor, ids[1]);
    const p1 = await t.core.jobs.list(c.actor, { pageSize: 2 });
    const p2 = await t.core.jobs.list(c.actor, { pageSize: 2, pageToken: p1.nextPageToken });
    const p3 = await t.core.jobs.list(c.actor, { pageSize: 2, pageToken: p2.nextPageToken });
    expect([...p1.items, ...p2.items, ...p3.items].map((j) => j.id)).toEqual([...ids].reverse());
    expect(p3.nextPageToken).toBeNull();
    const cancelled = await t.core.jobs.list(c.actor, { status: 'cancelled' });
    expect(cancelled.items.map((j) => j.id)).toEqual([ids[1]]);
    expect((await rejectionOf(t.core.jobs.list(c.actor, { status: 'done' as never }))).field).toBe('status');
  });

  it('filters by any of several statuses', async () => {
    const c = await t.tenant('statuses');
    const [kept, cancelled, running] = [await t.core.jobs.create(c.actor, call), await t.core.jobs.create(c.actor, call), await t.core.jobs.create(c.actor, call)];
    await t.core.jobs.cancel(c.actor, cancelled.id);
    await t.database.db.execute(`update jobs set status = 'running', attempts = 1 where id = ?`, [running.id]);
    const unfinished = await t.core.jobs.list(c.actor, { status: ['scheduled', 'running'] });
    expect(unfinished.items.map((j) => j.id)).toEqual([running.id, kept.id]);
    expect((await t.core.jobs.list(c.actor, { status: [] })).items).toHaveLength(3);
    expect((await rejectionOf(t.core.jobs.list(c.actor, { status: ['scheduled', 'done' as never] }))).field).toBe('status');
  });
});

describe('future-only creates', () => {
  it('refuse a scheduled_at more than a second in the past with invalid_scheduled_at, and take one within the skew', async () => {
    const now = clock.now().getTime();
    const err = await rejectionOf(t.core.jobs.create(a.actor, { ...call, scheduledAt: new Date(now - 1_001).toISOString() }, { future: true }));
    expect(err).toMatchObject({ code: 'invalid_scheduled_at', field: 'scheduled_at' });
    expect(err.message).toMatch(/^scheduled_at must be in the future \(got 2026-05-01T09:59:58\.999Z; server time is 2026-05-01T10:00:00\.000Z\)$/);
    const skewed = await t.core.jobs.create(a.actor, { ...call, scheduledAt: new Date(now - 1_000).toISOString() }, { future: true });
    expect(skewed.scheduledAt.getTime()).toBe(now - 1_000);
    // Without the option a past time is due at once, as before.
    expect((await t.core.jobs.create(a.actor, { ...call, scheduledAt: new Date(now - 60_000).toISOString() })).status).toBe('scheduled');
  });

  it('require scheduled_at instead of defaulting it to now', async () => {
    const err = await rejectionOf(t.core.jobs.create(a.actor, call, { future: true }));
    expect(err).toMatchObject({ code: 'invalid_argument', field: 'scheduled_at', message: 'scheduled_at: is required' });
  });
});

describe('one-time jobs among the ticks of schedules', () => {
  it('list oldest first when asked, only the one-time ones, with any of several statuses, and page', async () => {
    const d = await t.tenant('d');
    const s = await t.core.schedules.create(d.actor, { url: 'https://example.com/tick', cron: '0 6 * * *' });
    const tick = await t.core.schedules.trigger(d.actor, s.id);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await t.core.jobs.create(d.actor, { ...call, scheduledAt: '2026-05-03T00:00:00Z' })).id);
    await t.core.jobs.cancel(d.actor, ids[2]);
    const pending = { oneTime: true, status: ['scheduled', 'running'] as const, order: 'asc' as const };
    const p1 = await t.core.jobs.list(d.actor, { ...pending, pageSize: 2 });
    const p2 = await t.core.jobs.list(d.actor, { ...pending, pageSize: 2, pageToken: p1.nextPageToken });
    expect([...p1.items, ...p2.items].map((j) => j.id)).toEqual([ids[0], ids[1], ids[3]]);
    expect(p2.nextPageToken).toBeNull();
    expect((await t.core.jobs.list(d.actor, { oneTime: true })).items.map((j) => j.id)).toEqual([...ids].reverse());
    expect((await t.core.jobs.list(d.actor, {})).items.map((j) => j.id)).toContain(tick.id);
    expect((await rejectionOf(t.core.jobs.list(d.actor, { status: ['scheduled', 'done' as never] }))).field).toBe('status');
  });

  it('keep a name, and are found by their idempotency key in their own project only', async () => {
    const e = await t.tenant('e');
    const job = await t.core.jobs.create(e.actor, { ...call, name: '  Send reminder ', idempotencyKey: 'remind-42' });
    expect(job.name).toBe('Send reminder');
    expect(await t.core.jobs.getByIdempotencyKey(e.actor, 'remind-42')).toMatchObject({ id: job.id, name: 'Send reminder' });
    expect((await t.core.jobs.create(e.actor, call)).name).toBeNull();
    expect(await rejectionOf(t.core.jobs.getByIdempotencyKey(a.actor, 'remind-42'))).toBeInstanceOf(NotFoundError);
    expect(await rejectionOf(t.core.jobs.getByIdempotencyKey(e.actor, 'remind\u0000'))).toBeInstanceOf(NotFoundError);
    expect(await rejectionOf(t.core.schedules.getByKey(e.actor, 'remind\u0000'))).toBeInstanceOf(NotFoundError);
    expect((await rejectionOf(t.core.jobs.create(e.actor, { ...call, name: '' }))).field).toBe('name');
  });
});
