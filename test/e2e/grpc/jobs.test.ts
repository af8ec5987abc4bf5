import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job, ListJobsRequest } from '../../../client/src/gen/tock/v1/job.js';
import { Schedule } from '../../../client/src/gen/tock/v1/schedule.js';
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

const inOneHour = () => new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
const create = (fields: Partial<Job>) => api.jobs.createJob({ job: Job.fromPartial({ url: 'https://example.com/once', ...fields }) });

describe('gRPC JobService', () => {
  it('creates a one-time job due later and reads it back unchanged', async () => {
    const at = inOneHour();
    const job = await create({ scheduledAt: at, method: 'DELETE', headers: { Accept: 'text/plain' }, maxRetries: 2, webhookUrl: 'https://example.com/done' });
    expect(job).toMatchObject({
      url: 'https://example.com/once',
      method: 'DELETE',
      headers: { Accept: 'text/plain' },
      scheduledAt: at,
      maxRetries: 2,
      timeoutMs: 30000,
      scheduleId: '',
      idempotencyKey: '',
      webhookUrl: 'https://example.com/done',
      status: 'scheduled',
      attempts: 0,
    });
    expect(job.id).toMatch(/^job_[0-9a-z]{26}$/);
    expect(job.body).toBeUndefined();
    expect(job.finishedAt).toBeUndefined();
    expect(await api.jobs.getJob({ id: job.id })).toEqual(job);
  });

  it('keeps the name of a one-time job, and an empty name means none', async () => {
    const named = await create({ name: 'Send reminder' });
    expect((await api.jobs.getJob({ id: named.id })).name).toBe('Send reminder');
    const unnamed = await create({});
    expect(unnamed.name).toBe('');
    expect((await h.t.core.jobs.get(a.actor, unnamed.id)).name).toBeNull();
  });

  it('makes an unset scheduled_at mean now', async () => {
    const before = Date.now();
    const job = await create({});
    expect(job.scheduledAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(job.scheduledAt!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('rejects a job without a URL and one with a non-http URL, naming the field', async () => {
    const missing = await failure(create({ url: '' }));
    expect(missing.code).toBe(status.INVALID_ARGUMENT);
    expect(missing.tockField).toBe('url');
    const ftp = await failure(create({ url: 'ftp://example.com/x' }));
    expect(ftp.code).toBe(status.INVALID_ARGUMENT);
    expect(ftp.details).toContain("scheme 'ftp' is not allowed");
    expect(ftp.tockCode).toBe('invalid_url');
  });

  it('returns the existing job for a repeated idempotency key, and FAILED_PRECONDITION for a different call with it', async () => {
    const first = await create({ idempotencyKey: 'order-42', body: 'a' });
    const again = await create({ idempotencyKey: 'order-42', body: 'a' });
    expect(again.id).toBe(first.id);
    const err = await failure(create({ idempotencyKey: 'order-42', body: 'b' }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.tockCode).toBe('idempotency_conflict');
  });

  it('pages through jobs newest first, every id once', async () => {
    const b = await h.t.tenant('paging');
    const own = h.clients(bearer(b.secret));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await own.jobs.createJob({ job: Job.fromPartial({ url: `https://example.com/${i}` }) })).id);
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await own.jobs.listJobs(ListJobsRequest.fromPartial({ pageSize: 2, pageToken }));
      seen.push(...page.jobs.map((j) => j.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('cancels a scheduled job, and cancelling it again is a no-op', async () => {
    const job = await create({ scheduledAt: inOneHour() });
    const cancelled = await api.jobs.cancelJob({ id: job.id });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.finishedAt).toBeInstanceOf(Date);
    expect((await api.jobs.cancelJob({ id: job.id })).status).toBe('cancelled');
    expect((await api.jobs.getJob({ id: job.id })).status).toBe('cancelled');
  });

  it('answers FAILED_PRECONDITION for cancelling a job that already ran', async () => {
    const job = await create({});
    await h.t.database.db.execute("update jobs set status = 'succeeded' where id = ?", [job.id]);
    const err = await failure(api.jobs.cancelJob({ id: job.id }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toBe(`Job '${job.id}' cannot be cancelled: it is already succeeded`);
    expect(err.tockCode).toBe('job_already_executed');
  });

  it('lists the executions of a job, newest first, two per page', async () => {
    const job = await create({});
    const e1 = await insertExecution(h, { jobId: job.id, projectId: a.projectId, status: 'timeout', statusCode: null, responseBody: null, error: 'timeout after 30000 ms', durationMs: 30000 });
    const e2 = await insertExecution(h, { jobId: job.id, projectId: a.projectId, attempt: 2, status: 'failed', statusCode: 503, responseBody: 'busy', error: 'unexpected status 503' });
    const e3 = await insertExecution(h, { jobId: job.id, projectId: a.projectId, attempt: 3 });
    const page1 = await api.jobs.listJobExecutions({ id: job.id, pageSize: 2, pageToken: '' });
    expect(page1.executions.map((e) => e.id)).toEqual([e3.id, e2.id]);
    expect(page1.executions[1]).toMatchObject({ attempt: 2, status: 'failed', statusCode: 503, responseBody: 'busy', startedAt: e2.startedAt });
    const page2 = await api.jobs.listJobExecutions({ id: job.id, pageSize: 2, pageToken: page1.nextPageToken });
    expect(page2.executions.map((e) => e.id)).toEqual([e1.id]);
    expect(page2.executions[0]).toMatchObject({ status: 'timeout', durationMs: 30000, error: 'timeout after 30000 ms', responseBody: '' });
    expect(page2.executions[0].statusCode).toBeUndefined();
    expect(page2.nextPageToken).toBe('');
  });

  it('creates a job with backoff and expected statuses; it reports source "api", its next attempt and no last attempt', async () => {
    const at = inOneHour();
    const job = await create({ scheduledAt: at, retryBackoffMs: 250, retryBackoffMaxMs: 10000, expectedStatus: [200, 202] });
    expect(job).toMatchObject({ retryBackoffMs: 250, retryBackoffMaxMs: 10000, expectedStatus: [200, 202], source: 'api', lastError: '', nextAttemptAt: at });
    expect(job.lastStatusCode).toBeUndefined();
    const defaults = await create({});
    expect(defaults).toMatchObject({ retryBackoffMs: 1000, retryBackoffMaxMs: 300000, expectedStatus: [] });
    expect(await api.jobs.getJob({ id: job.id })).toEqual(job);
  });

  it("reports the latest attempt's status code and error, and no next attempt once the job is terminal", async () => {
    const job = await create({});
    await h.t.database.db.execute(
      "update jobs set status = 'failed', attempts = 1, last_status_code = 503, last_error = 'unexpected status 503', next_attempt_at = null, finished_at = now() where id = ?",
      [job.id],
    );
    const failed = await api.jobs.getJob({ id: job.id });
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 503, lastError: 'unexpected status 503' });
    expect(failed.nextAttemptAt).toBeUndefined();
  });

  it('filters the job list by status and by schedule', async () => {
    const own = h.clients(bearer((await h.t.tenant('filters')).secret));
    const once = await own.jobs.createJob({ job: Job.fromPartial({ url: 'https://example.com/once', scheduledAt: inOneHour() }) });
    const cancelled = await own.jobs.cancelJob({ id: (await own.jobs.createJob({ job: Job.fromPartial({ url: 'https://example.com/c', scheduledAt: inOneHour() }) })).id });
    const schedule = await own.schedules.createSchedule({ schedule: Schedule.fromPartial({ url: 'https://example.com/s', intervalSeconds: 3600 }) });
    const triggered = await own.schedules.triggerSchedule({ id: schedule.id });
    const ids = async (filter: Partial<ListJobsRequest>) => (await own.jobs.listJobs(ListJobsRequest.fromPartial(filter))).jobs.map((j) => j.id);
    expect(await ids({ status: 'cancelled' })).toEqual([cancelled.id]);
    expect(await ids({ scheduleId: schedule.id })).toEqual([triggered.id]);
    expect(await ids({ status: 'scheduled' })).toEqual([triggered.id, once.id]);
    expect(await ids({ status: 'scheduled', scheduleId: schedule.id })).toEqual([triggered.id]);
    expect(await ids({})).toEqual([triggered.id, cancelled.id, once.id]);
  });

  it('rejects an unknown status filter with INVALID_ARGUMENT naming status', async () => {
    const err = await failure(api.jobs.listJobs(ListJobsRequest.fromPartial({ status: 'done' })));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.tockField).toBe('status');
  });

  it("answers NOT_FOUND for unknown ids and for another tenant's job, on every method", async () => {
    const other = h.clients(bearer((await h.t.tenant('other')).secret));
    const theirs = await other.jobs.createJob({ job: Job.fromPartial({ url: 'https://example.com/theirs', scheduledAt: inOneHour() }) });
    const unknown = await failure(api.jobs.getJob({ id: 'not-a-job-id' }));
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(unknown.details).toBe("No job with id 'not-a-job-id'");
    const id = theirs.id;
    for (const call of [
      () => api.jobs.getJob({ id }),
      () => api.jobs.cancelJob({ id }),
      () => api.jobs.listJobExecutions({ id, pageSize: 0, pageToken: '' }),
    ]) {
      expect((await failure(call())).code).toBe(status.NOT_FOUND);
    }
    expect((await other.jobs.getJob({ id })).status).toBe('scheduled');
  });
});
