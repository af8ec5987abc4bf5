import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  InvalidCronError,
  InvalidTimezoneError,
  InvalidUrlError,
  NotFoundError,
} from '../../../server/core/errors.js';
import type { WakeKind } from '../../../server/core/wake.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

let t: TestCore;
let a: TestTenant;
const clock = new ManualClock(new Date('2026-03-07T12:00:00Z'));
const wakes: { kind: WakeKind; shard: number; dueAt: Date }[] = [];

beforeAll(async () => {
  t = await createTestCore({ clock, waker: { wake: (kind, shard, dueAt) => wakes.push({ kind, shard, dueAt }) } });
  a = await t.tenant('a');
});
afterAll(() => t.close());

const base = { url: 'https://example.com/hook', cron: '*/5 * * * *' };

describe('creating schedules', () => {
  it('creates a cron schedule in a time zone and computes its next run there', async () => {
    const s = await t.core.schedules.create(a.actor, { name: 'nightly', url: 'https://example.com/hook', cron: '30 2 * * *', timezone: 'America/New_York' });
    expect(s.id).toMatch(/^sched_[0-9a-z]{26}$/);
    expect(s.state).toBe('active');
    expect(s.method).toBe('POST');
    // Local 02:30 on 2026-03-08 does not exist (clocks jump 02:00 -> 03:00): it fires at 03:00 EDT.
    expect(s.nextRunAt?.toISOString()).toBe('2026-03-08T07:00:00.000Z');
    const got = await t.core.schedules.get(a.actor, s.id);
    expect(got).toMatchObject({ id: s.id, name: 'nightly', cron: '30 2 * * *', timezone: 'America/New_York', headers: {} });
    expect(got.nextRunAt?.toISOString()).toBe(s.nextRunAt?.toISOString());
  });

  it('creates an interval schedule due one interval from now and wakes the timer for it', async () => {
    wakes.length = 0;
    const s = await t.core.schedules.create(a.actor, { url: 'https://example.com/x', intervalSeconds: 90, method: 'get' });
    expect(s.method).toBe('GET');
    expect(s.nextRunAt?.getTime()).toBe(clock.now().getTime() + 90_000);
    expect(s.name).toBe('example.com/x');
    expect(wakes).toEqual([{ kind: 'schedule', shard: s.shard, dueAt: s.nextRunAt }]);
  });

  it('keeps every field it was given', async () => {
    const s = await t.core.schedules.create(a.actor, {
      ...base,
      key: 'full',
      method: 'PUT',
      headers: { 'x-token': 'abc' },
      body: '{"a":1}',
      timeoutMs: 5000,
      maxRetries: 3,
      retryBackoffMs: 200,
      retryBackoffMaxMs: 2000,
      expectedStatus: [200, 204],
      overlap: 'forbid',
      misfire: 'skip',
      alertEmail: 'ops@example.com',
    });
    const got = await t.core.schedules.get(a.actor, s.id);
    expect(got).toMatchObject({
      key: 'full',
      name: 'full',
      method: 'PUT',
      headers: { 'x-token': 'abc' },
      body: '{"a":1}',
      timeoutMs: 5000,
      maxRetries: 3,
      retryBackoffMs: 200,
      retryBackoffMaxMs: 2000,
      expectedStatus: [200, 204],
      overlap: 'forbid',
      misfire: 'skip',
      alertEmail: 'ops@example.com',
    });
  });

  it('creates a paused schedule with no next run', async () => {
    const s = await t.core.schedules.create(a.actor, { ...base, state: 'paused' });
    expect(s.nextRunAt).toBeNull();
  });

  it.each([
    [{ url: 'https://e.com', cron: '* * * *' }, 'invalid_cron', 'cron', "Invalid cron expression: '* * * *' (expected 5 fields, or 6 with seconds first; got 4)"],
    [{ url: 'https://e.com', cron: '* * * * *', timezone: 'Nowhere/City' }, 'invalid_timezone', 'timezone', "Unknown time zone 'Nowhere/City'"],
    [{ url: 'not a url', cron: '* * * * *' }, 'invalid_url', 'url', "Invalid URL 'not a url'"],
    [{ url: 'file:///etc/passwd', cron: '* * * * *' }, 'invalid_url', 'url', "scheme 'file' is not allowed"],
    [{ url: 'https://e.com' }, 'invalid_argument', 'cron', 'Set cron (5 or 6 fields) or interval_seconds'],
    [{ url: 'https://e.com', cron: '* * * * *', intervalSeconds: 60 }, 'invalid_argument', 'cron', 'not both'],
    [{ url: 'https://e.com', intervalSeconds: 0 }, 'invalid_argument', 'interval_seconds', 'interval_seconds: must be a whole number'],
    [{ url: 'https://e.com', cron: '* * * * *', method: 'BREW' }, 'invalid_argument', 'method', 'method: must be one of GET, POST'],
    [{ url: 'https://e.com', cron: '* * * * *', timeoutMs: 0 }, 'invalid_argument', 'timeout_ms', 'timeout_ms: must be at least 1 ms'],
    [{ url: 'https://e.com', cron: '* * * * *', maxRetries: 99 }, 'invalid_argument', 'max_retries', 'max_retries: must be at most 20'],
    [{ url: 'https://e.com', cron: '* * * * *', headers: { 'bad header': 'x' } }, 'invalid_argument', 'headers.bad header', 'HTTP tokens'],
    [{ url: 'https://e.com', cron: '* * * * *', headers: { 'Content-Length': '3' } }, 'invalid_argument', 'headers.Content-Length', 'set by the HTTP client'],
    [{ url: 'https://e.com', cron: '* * * * *', overlap: 'sometimes' }, 'invalid_argument', 'overlap', "must be 'allow' or 'forbid'"],
    [{ url: 'https://e.com', cron: '* * * * *', retryBackoffMs: 5000, retryBackoffMaxMs: 100 }, 'invalid_argument', 'retry_backoff_max_ms', 'at least retry_backoff_ms'],
    [{ url: 'https://e.com', cron: '* * * * *', colour: 'red' }, 'invalid_argument', 'colour', 'Unknown field: colour'],
    [{ url: 42, cron: '* * * * *' }, 'invalid_argument', 'url', 'url: '],
  ])('rejects %j with %s on %s', async (input, code, field, message) => {
    const err = await rejectionOf(t.core.schedules.create(a.actor, input as never));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });

  it('gives the specific error classes for cron, time zone and URL', async () => {
    expect(await rejectionOf(t.core.schedules.create(a.actor, { url: 'https://e.com', cron: 'nope' }))).toBeInstanceOf(InvalidCronError);
    expect(await rejectionOf(t.core.schedules.create(a.actor, { ...base, timezone: 'X/Y' }))).toBeInstanceOf(InvalidTimezoneError);
    expect(await rejectionOf(t.core.schedules.create(a.actor, { ...base, url: 'x' }))).toBeInstanceOf(InvalidUrlError);
  });

  it('refuses a second schedule with the same key in a project', async () => {
    await t.core.schedules.create(a.actor, { ...base, key: 'dup' });
    const err = await rejectionOf(t.core.schedules.create(a.actor, { ...base, key: 'dup' }));
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect(err.message).toBe("A schedule with key 'dup' already exists in this project");
    const other = await t.tenant('other');
    await expect(t.core.schedules.create(other.actor, { ...base, key: 'dup' })).resolves.toMatchObject({ key: 'dup' });
  });
});

describe('changing schedules', () => {
  it('updates only the given fields and recomputes the next run when the trigger changes', async () => {
    const s = await t.core.schedules.create(a.actor, { ...base, name: 'before', headers: { a: '1' } });
    const u = await t.core.schedules.update(a.actor, s.id, { name: 'after' });
    expect(u).toMatchObject({ name: 'after', headers: { a: '1' }, cron: '*/5 * * * *' });
    expect(u.nextRunAt?.toISOString()).toBe(s.nextRunAt?.toISOString());
    const switched = await t.core.schedules.update(a.actor, s.id, { intervalSeconds: 30 });
    expect(switched.cron).toBeNull();
    expect(switched.intervalSeconds).toBe(30);
    expect(switched.nextRunAt?.getTime()).toBe(clock.now().getTime() + 30_000);
    const back = await t.core.schedules.update(a.actor, s.id, { cron: '0 * * * *' });
    expect(back.intervalSeconds).toBeNull();
    expect((await t.core.schedules.get(a.actor, s.id)).cron).toBe('0 * * * *');
  });

  it('clears nullable fields given null', async () => {
    const s = await t.core.schedules.create(a.actor, { ...base, body: 'x', alertEmail: 'a@b.co' });
    const u = await t.core.schedules.update(a.actor, s.id, { body: null, alertEmail: null });
    expect(u.body).toBeNull();
    expect((await t.core.schedules.get(a.actor, s.id)).alertEmail).toBeNull();
  });

  it('rejects an update that leaves the schedule invalid and changes nothing', async () => {
    const s = await t.core.schedules.create(a.actor, base);
    const err = await rejectionOf(t.core.schedules.update(a.actor, s.id, { cron: '* *' }));
    expect(err.code).toBe('invalid_cron');
    expect((await t.core.schedules.get(a.actor, s.id)).cron).toBe(base.cron);
  });

  it('pauses without a next run and resumes from now, idempotently', async () => {
    const s = await t.core.schedules.create(a.actor, { url: 'https://e.com', intervalSeconds: 60 });
    const p = await t.core.schedules.pause(a.actor, s.id);
    expect(p).toMatchObject({ state: 'paused', nextRunAt: null });
    expect(await t.core.schedules.pause(a.actor, s.id)).toMatchObject({ state: 'paused' });
    clock.advance(3600_000);
    const r = await t.core.schedules.resume(a.actor, s.id);
    expect(r.state).toBe('active');
    expect(r.nextRunAt?.getTime()).toBe(clock.now().getTime() + 60_000);
    expect((await t.core.schedules.list(a.actor, { state: 'paused' })).items.map((x) => x.id)).not.toContain(s.id);
  });

  it('triggers a manual job now without moving the next run', async () => {
    const s = await t.core.schedules.create(a.actor, { ...base, headers: { h: 'v' }, body: 'b' });
    const job = await t.core.schedules.trigger(a.actor, s.id);
    expect(job).toMatchObject({ scheduleId: s.id, source: 'manual', status: 'scheduled', url: base.url, headers: { h: 'v' }, body: 'b', shard: s.shard });
    expect(job.scheduledAt.getTime()).toBe(clock.now().getTime());
    expect((await t.core.schedules.get(a.actor, s.id)).nextRunAt?.toISOString()).toBe(s.nextRunAt?.toISOString());
    expect((await t.core.jobs.get(a.actor, job.id)).id).toBe(job.id);
  });

  it('deletes a schedule, cancels its pending jobs and keeps their history', async () => {
    const s = await t.core.schedules.create(a.actor, base);
    const job = await t.core.schedules.trigger(a.actor, s.id);
    await t.core.schedules.delete(a.actor, s.id);
    await expect(t.core.schedules.get(a.actor, s.id)).rejects.toBeInstanceOf(NotFoundError);
    const after = await t.core.jobs.get(a.actor, job.id);
    expect(after.status).toBe('cancelled');
    expect(after.scheduleId).toBeNull();
    await expect(t.core.schedules.delete(a.actor, s.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('listing', () => {
  it('pages through schedules in creation order with opaque tokens', async () => {
    const b = await t.tenant('lister');
    const made = [];
    for (let i = 0; i < 7; i++) made.push((await t.core.schedules.create(b.actor, { ...base, key: `k${i}` })).id);
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof t.core.schedules.list>> = await t.core.schedules.list(b.actor, { pageSize: 3, pageToken: token });
      seen.push(...page.items.map((s) => s.id));
      token = page.nextPageToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(made);
  });

  it('lists executions of a schedule newest first', async () => {
    const s = await t.core.schedules.create(a.actor, base);
    const job = await t.core.schedules.trigger(a.actor, s.id);
    const ids = ['exec_01kmv0000000000000000000a1', 'exec_01kmv0000000000000000000a2', 'exec_01kmv0000000000000000000a3'];
    for (const [i, id] of ids.entries()) {
      await t.database.db.execute(
        `insert into executions (id, job_id, project_id, schedule_id, attempt, status, status_code, duration_ms, started_at, finished_at)
         values (?, ?, ?, ?, ?, 'failed', 500, 12, now(), now())`,
        [id, job.id, a.projectId, s.id, i + 1],
      );
    }
    const first = await t.core.schedules.listExecutions(a.actor, s.id, { pageSize: 2 });
    expect(first.items.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    const second = await t.core.schedules.listExecutions(a.actor, s.id, { pageSize: 2, pageToken: first.nextPageToken });
    expect(second.items.map((e) => e.attempt)).toEqual([1]);
    expect(second.nextPageToken).toBeNull();
    const viaJob = await t.core.jobs.listExecutions(a.actor, job.id);
    expect(viaJob.items).toHaveLength(3);
    expect(viaJob.items[0]).toMatchObject({ statusCode: 500, durationMs: 12, status: 'failed' });
  });

  it('rejects a forged page token', async () => {
    expect((await rejectionOf(t.core.schedules.list(a.actor, { pageToken: 'abc' }))).code).toBe('invalid_page_token');
  });
});

describe('listing by state', () => {
  it('rejects an unknown state filter', async () => {
    await expect(t.core.schedules.list(a.actor, { state: 'sleeping' as never })).rejects.toMatchObject({ code: 'invalid_argument', field: 'state' });
  });
});
