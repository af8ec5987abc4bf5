import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListSchedulesRequest, Schedule } from '../../../client/src/gen/tock/v1/schedule.js';
import type { TestTenant } from '../../helpers/core.js';
import { bearer, failure, insertExecution, startHarness, type Clients, type Harness } from './harness.js';

let h: Harness;
let a: TestTenant;
let api: Clients;

beforeAll(async () => {
  h = await startHarness();
  a = await h.t.tenant('a');
  api = h.clients(bearer(a.secret));
});
afterAll(() => h.close());

const create = (fields: Partial<Schedule>) => api.schedules.createSchedule({ schedule: Schedule.fromPartial({ url: 'https://example.com/hook', ...fields }) });

describe('gRPC ScheduleService', () => {
  it('creates a cron schedule with server defaults and reads it back unchanged', async () => {
    const created = await create({ name: 'nightly', cron: '30 2 * * *', timezone: 'Europe/Riga' });
    expect(created).toMatchObject({
      name: 'nightly',
      url: 'https://example.com/hook',
      method: 'POST',
      key: '',
      cron: '30 2 * * *',
      timezone: 'Europe/Riga',
      state: 'active',
      lastStatus: '',
      headers: {},
      expectedStatus: [],
      overlap: 'allow',
      misfire: 'fire_once',
      timeoutMs: 30000,
      maxRetries: 0,
    });
    expect(created.id).toMatch(/^sched_[0-9a-z]{26}$/);
    expect(created.intervalSeconds).toBeUndefined();
    expect(created.body).toBeUndefined();
    expect(created.lastRunAt).toBeUndefined();
    expect(created.nextRunAt).toBeInstanceOf(Date);
    expect(created.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
    expect(await api.schedules.getSchedule({ id: created.id })).toEqual(created);
  });

  it('creates an interval schedule carrying headers, body, retries and expected statuses', async () => {
    const s = await create({
      key: 'sync-crm',
      method: 'put',
      headers: { 'X-Token': 'abc' },
      body: '{"full":true}',
      intervalSeconds: 300,
      maxRetries: 3,
      timeoutMs: 5000,
      expectedStatus: [200, 204],
      overlap: 'forbid',
      misfire: 'skip',
    });
    expect(s).toMatchObject({
      key: 'sync-crm',
      name: 'sync-crm',
      method: 'PUT',
      headers: { 'X-Token': 'abc' },
      body: '{"full":true}',
      intervalSeconds: 300,
      maxRetries: 3,
      timeoutMs: 5000,
      expectedStatus: [200, 204],
      overlap: 'forbid',
      misfire: 'skip',
    });
    expect(s.cron).toBeUndefined();
  });

  it('rejects a malformed cron expression with INVALID_ARGUMENT, the core message and the field', async () => {
    const err = await failure(create({ cron: '* * * *' }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^Invalid cron expression: '\* \* \* \*' \(expected 5 fields/);
    expect(err.tockCode).toBe('invalid_cron');
    expect(err.tockField).toBe('cron');
  });

  it('rejects a schedule without a trigger, and one with an unknown overlap policy', async () => {
    const noTrigger = await failure(create({}));
    expect(noTrigger.code).toBe(status.INVALID_ARGUMENT);
    expect(noTrigger.details).toBe('Set cron (5 or 6 fields) or interval_seconds');
    const overlap = await failure(create({ intervalSeconds: 60, overlap: 'sometimes' }));
    expect(overlap.code).toBe(status.INVALID_ARGUMENT);
    expect(overlap.tockField).toBe('overlap');
  });

  it('answers ALREADY_EXISTS for a second schedule with the same key', async () => {
    await create({ key: 'unique-one', intervalSeconds: 60 });
    const err = await failure(create({ key: 'unique-one', intervalSeconds: 60 }));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(err.tockCode).toBe('already_exists');
  });

  it('pages through schedules two at a time: three pages, every id once', async () => {
    const b = await h.t.tenant('paging');
    const own = h.clients(bearer(b.secret));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const s = await own.schedules.createSchedule({ schedule: Schedule.fromPartial({ url: `https://example.com/${i}`, intervalSeconds: 60 }) });
      ids.push(s.id);
    }
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await own.schedules.listSchedules(ListSchedulesRequest.fromPartial({ pageSize: 2, pageToken }));
      expect(page.schedules.length).toBeLessThanOrEqual(2);
      seen.push(...page.schedules.map((s) => s.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
  });

  it('updates only the fields named in the update mask', async () => {
    const s = await create({ name: 'masked', cron: '0 * * * *', maxRetries: 2, body: 'keep' });
    const updated = await api.schedules.updateSchedule({
      schedule: Schedule.fromPartial({ id: s.id, cron: '15 * * * *', maxRetries: 9, body: 'ignored', name: 'ignored' }),
      updateMask: ['cron', 'max_retries'],
    });
    expect(updated).toMatchObject({ name: 'masked', cron: '15 * * * *', maxRetries: 9, body: 'keep' });
    expect(await api.schedules.getSchedule({ id: s.id })).toEqual(updated);
  });

  it('switches a schedule from cron to interval_seconds with a mask of just interval_seconds', async () => {
    const s = await create({ cron: '0 3 * * *' });
    const updated = await api.schedules.updateSchedule({
      schedule: Schedule.fromPartial({ id: s.id, intervalSeconds: 120 }),
      updateMask: ['interval_seconds'],
    });
    expect(updated.intervalSeconds).toBe(120);
    expect(updated.cron).toBeUndefined();
    expect(updated.nextRunAt!.getTime()).toBeLessThanOrEqual(Date.now() + 121_000);
  });

  it('clears a masked field that is unset in the message, and resets defaults', async () => {
    const s = await create({ intervalSeconds: 60, body: 'payload', headers: { A: '1' }, method: 'GET', timeoutMs: 1000 });
    const updated = await api.schedules.updateSchedule({
      schedule: Schedule.fromPartial({ id: s.id }),
      updateMask: ['body', 'headers', 'method', 'timeout_ms'],
    });
    expect(updated.body).toBeUndefined();
    expect(updated.headers).toEqual({});
    expect(updated.method).toBe('POST');
    expect(updated.timeoutMs).toBe(30000);
  });

  it('with an empty mask updates exactly the fields set in the message', async () => {
    const s = await create({ name: 'before', intervalSeconds: 60, maxRetries: 4 });
    const updated = await api.schedules.updateSchedule({ schedule: Schedule.fromPartial({ id: s.id, name: 'after' }) });
    expect(updated).toMatchObject({ name: 'after', intervalSeconds: 60, maxRetries: 4, url: s.url });
  });

  it('rejects unknown and output-only mask paths with INVALID_ARGUMENT naming the path', async () => {
    const s = await create({ intervalSeconds: 60 });
    const unknown = await failure(api.schedules.updateSchedule({ schedule: Schedule.fromPartial({ id: s.id }), updateMask: ['cron', 'colour'] }));
    expect(unknown.code).toBe(status.INVALID_ARGUMENT);
    expect(unknown.details).toContain("'colour'");
    expect(unknown.tockField).toBe('update_mask');
    const outputOnly = await failure(api.schedules.updateSchedule({ schedule: Schedule.fromPartial({ id: s.id }), updateMask: ['state'] }));
    expect(outputOnly.code).toBe(status.INVALID_ARGUMENT);
    expect(outputOnly.details).toContain("'state'");
  });

  it('pauses a schedule (no next run) and resumes it (next run again)', async () => {
    const s = await create({ intervalSeconds: 60 });
    const paused = await api.schedules.pauseSchedule({ id: s.id });
    expect(paused.state).toBe('paused');
    expect(paused.nextRunAt).toBeUndefined();
    const resumed = await api.schedules.resumeSchedule({ id: s.id });
    expect(resumed.state).toBe('active');
    expect(resumed.nextRunAt).toBeInstanceOf(Date);
  });

  it('triggers a schedule: a manual job of that schedule, due now', async () => {
    const s = await create({ intervalSeconds: 3600, method: 'PATCH', body: 'x' });
    const job = await api.schedules.triggerSchedule({ id: s.id });
    expect(job).toMatchObject({ scheduleId: s.id, url: s.url, method: 'PATCH', body: 'x', status: 'scheduled', attempts: 0 });
    expect(job.scheduledAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect((await api.jobs.getJob({ id: job.id })).id).toBe(job.id);
    expect((await api.schedules.getSchedule({ id: s.id })).nextRunAt).toEqual(s.nextRunAt);
  });

  it("lists the executions of a schedule's jobs, newest first", async () => {
    const s = await create({ intervalSeconds: 60 });
    const job = await api.schedules.triggerSchedule({ id: s.id });
    const first = await insertExecution(h, { jobId: job.id, projectId: a.projectId, scheduleId: s.id, status: 'failed', statusCode: null, error: 'connect ECONNREFUSED', responseBody: null });
    const second = await insertExecution(h, { jobId: job.id, projectId: a.projectId, scheduleId: s.id, attempt: 2 });
    const page = await api.schedules.listScheduleExecutions({ id: s.id, pageSize: 0, pageToken: '' });
    expect(page.executions.map((e) => e.id)).toEqual([second.id, first.id]);
    expect(page.executions[1]).toMatchObject({ jobId: job.id, attempt: 1, status: 'failed', error: 'connect ECONNREFUSED', responseBody: '' });
    expect(page.executions[1].statusCode).toBeUndefined();
    expect(page.executions[0]).toMatchObject({ attempt: 2, status: 'succeeded', statusCode: 200, responseBody: 'ok', error: '' });
    expect(page.nextPageToken).toBe('');
  });

  it('deletes a schedule, after which it is NOT_FOUND', async () => {
    const s = await create({ intervalSeconds: 60 });
    expect(await api.schedules.deleteSchedule({ id: s.id })).toEqual({});
    expect((await failure(api.schedules.getSchedule({ id: s.id }))).code).toBe(status.NOT_FOUND);
    expect((await failure(api.schedules.deleteSchedule({ id: s.id }))).code).toBe(status.NOT_FOUND);
  });

  it('gives a new schedule no key, and the default backoff and alert settings', async () => {
    const s = await create({ intervalSeconds: 60 });
    expect(s).toMatchObject({
      key: '',
      description: '',
      retryBackoffMs: 1000,
      retryBackoffMaxMs: 300000,
      alertEmail: '',
      alertWebhook: '',
      alertOnFailure: true,
      alertOnRecovery: true,
    });
  });

  it('creates a schedule with a description, backoff and alert settings, and reads them back', async () => {
    const s = await create({
      intervalSeconds: 60,
      description: 'pushes invoices to the CRM',
      retryBackoffMs: 500,
      retryBackoffMaxMs: 60000,
      alertEmail: 'ops@example.com',
      alertWebhook: 'https://hooks.example.com/alerts',
      alertOnFailure: false,
    });
    expect(s).toMatchObject({
      description: 'pushes invoices to the CRM',
      retryBackoffMs: 500,
      retryBackoffMaxMs: 60000,
      alertEmail: 'ops@example.com',
      alertWebhook: 'https://hooks.example.com/alerts',
      alertOnFailure: false,
      alertOnRecovery: true,
    });
    expect(await api.schedules.getSchedule({ id: s.id })).toEqual(s);
  });

  it('rejects a backoff cap below the backoff base, naming retry_backoff_max_ms', async () => {
    const err = await failure(create({ intervalSeconds: 60, retryBackoffMs: 5000, retryBackoffMaxMs: 1000 }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.tockField).toBe('retry_backoff_max_ms');
  });

  it('updates the description, backoff and alert fields by mask, and resets masked-but-unset ones to the defaults', async () => {
    const s = await create({ intervalSeconds: 60, description: 'old', retryBackoffMs: 200, alertEmail: 'ops@example.com', alertOnRecovery: false });
    const updated = await api.schedules.updateSchedule({
      schedule: Schedule.fromPartial({ id: s.id, description: 'new', alertOnFailure: false, alertWebhook: 'https://hooks.example.com/a' }),
      updateMask: ['description', 'alert_on_failure', 'alert_webhook', 'retry_backoff_ms', 'alert_email', 'alert_on_recovery'],
    });
    expect(updated).toMatchObject({
      description: 'new',
      alertOnFailure: false,
      alertWebhook: 'https://hooks.example.com/a',
      retryBackoffMs: 1000,
      alertEmail: '',
      alertOnRecovery: true,
    });
    expect(await api.schedules.getSchedule({ id: s.id })).toEqual(updated);
  });

  it('applies alert_on_failure false from an empty mask, since an optional bool that is set counts as given', async () => {
    const s = await create({ intervalSeconds: 60 });
    const updated = await api.schedules.updateSchedule({ schedule: Schedule.fromPartial({ id: s.id, alertOnFailure: false }) });
    expect(updated).toMatchObject({ alertOnFailure: false, alertOnRecovery: true });
  });

  it('lists only the schedules in the requested state', async () => {
    const own = h.clients(bearer((await h.t.tenant('states')).secret));
    const mk = () => own.schedules.createSchedule({ schedule: Schedule.fromPartial({ url: 'https://example.com/s', intervalSeconds: 60 }) });
    const active = await mk();
    const paused = await own.schedules.pauseSchedule({ id: (await mk()).id });
    const ids = async (state: string) => (await own.schedules.listSchedules(ListSchedulesRequest.fromPartial({ state }))).schedules.map((s) => s.id);
    expect(await ids('paused')).toEqual([paused.id]);
    expect(await ids('active')).toEqual([active.id]);
    expect(await ids('')).toEqual([active.id, paused.id]);
  });

  it('rejects an unknown state filter with INVALID_ARGUMENT naming state', async () => {
    const err = await failure(api.schedules.listSchedules(ListSchedulesRequest.fromPartial({ state: 'sleeping' })));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.tockField).toBe('state');
  });

  it('marks the job of a manual trigger with source "manual"', async () => {
    const s = await create({ intervalSeconds: 60 });
    const job = await api.schedules.triggerSchedule({ id: s.id });
    expect(job).toMatchObject({ source: 'manual', scheduleId: s.id, lastError: '' });
    expect(job.nextAttemptAt).toEqual(job.scheduledAt);
  });

  it("answers NOT_FOUND for unknown ids and for another tenant's schedule, on every method", async () => {
    const other = h.clients(bearer((await h.t.tenant('other')).secret));
    const theirs = await other.schedules.createSchedule({ schedule: Schedule.fromPartial({ url: 'https://example.com/x', intervalSeconds: 60 }) });
    const unknown = await failure(api.schedules.getSchedule({ id: 'sched_00000000000000000000000000' }));
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(unknown.details).toBe("No schedule with id 'sched_00000000000000000000000000'");
    expect(unknown.tockCode).toBe('not_found');
    const id = theirs.id;
    const calls = [
      () => api.schedules.getSchedule({ id }),
      () => api.schedules.updateSchedule({ schedule: Schedule.fromPartial({ id, name: 'mine now' }), updateMask: ['name'] }),
      () => api.schedules.deleteSchedule({ id }),
      () => api.schedules.pauseSchedule({ id }),
      () => api.schedules.resumeSchedule({ id }),
      () => api.schedules.triggerSchedule({ id }),
      () => api.schedules.listScheduleExecutions({ id, pageSize: 0, pageToken: '' }),
    ];
    for (const call of calls) expect((await failure(call())).code).toBe(status.NOT_FOUND);
    expect((await other.schedules.getSchedule({ id })).name).toBe(theirs.name);
  });
});
