import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError, type JobStatus, type TockClient } from '../../../client/src/index.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { insertExecution, startTrpcServer, type TrpcServer } from './harness.js';

let t: TestCore;
let a: TestTenant;
let b: TestTenant;
let srv: TrpcServer;
let tock: TockClient;

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant('a');
  b = await t.tenant('b');
  srv = await startTrpcServer(t);
  tock = srv.client(a.secret);
});
afterAll(async () => {
  await srv?.close();
  await t?.close();
});

const hook = 'https://example.com/once';

async function markSucceeded(id: string): Promise<void> {
  await t.database.db.execute("update jobs set status='succeeded' where id = ?", [id]);
}

describe('jobs over tRPC', () => {
  it('creates a one-time job at a Date and returns the same instant as a Date', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const job = await tock.jobs.create({ url: hook, method: 'GET', scheduledAt: at, headers: { accept: 'text/plain' } });
    expect(job).toMatchObject({ source: 'api', status: 'scheduled', method: 'GET', scheduleId: null, attempts: 0, projectId: a.projectId });
    expect(job.scheduledAt).toEqual(at);
    expect(job.nextAttemptAt).toEqual(at);
    expect(job.finishedAt).toBeNull();
    expect(job).not.toHaveProperty('shard');
    expect(await tock.jobs.get(job.id)).toEqual(job);
  });

  it('accepts scheduledAt as an RFC 3339 string', async () => {
    const job = await tock.jobs.create({ url: hook, scheduledAt: '2030-01-02T03:04:05Z' });
    expect(job.scheduledAt.toISOString()).toBe('2030-01-02T03:04:05.000Z');
  });

  it('lists jobs newest first, filtered by status and by schedule', async () => {
    const t2 = await t.tenant('lists');
    const client = srv.client(t2.secret);
    const s = await client.schedules.create({ url: hook, intervalSeconds: 60 });
    const j1 = await client.jobs.create({ url: hook });
    const j2 = await client.jobs.create({ url: hook });
    const j3 = await client.schedules.trigger(s.id);
    await markSucceeded(j1.id);
    expect((await client.jobs.list()).items.map((j) => j.id)).toEqual([j3.id, j2.id, j1.id]);
    expect((await client.jobs.list({ status: 'succeeded' })).items.map((j) => j.id)).toEqual([j1.id]);
    expect((await client.jobs.list({ scheduleId: s.id })).items.map((j) => j.id)).toEqual([j3.id]);
    const scheduled: string[] = [];
    for await (const j of client.jobs.iterate({ status: 'scheduled', pageSize: 1 })) scheduled.push(j.id);
    expect(scheduled).toEqual([j3.id, j2.id]);
  });

  it('rejects an unknown status filter with the status field named', async () => {
    const err = await tock.jobs.list({ status: 'done' as JobStatus }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field: 'status' });
    expect((err as Error).message).toMatch(/^status: must be one of scheduled, running/);
  });

  it('cancels a scheduled job, and cancelling it again changes nothing', async () => {
    const job = await tock.jobs.create({ url: hook, scheduledAt: new Date(Date.now() + 60_000) });
    const cancelled = await tock.jobs.cancel(job.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.finishedAt).toBeInstanceOf(Date);
    expect(cancelled.nextAttemptAt).toBeNull();
    expect((await tock.jobs.cancel(job.id)).status).toBe('cancelled');
  });

  it('refuses to cancel a job that already ran with a ConflictError', async () => {
    const job = await tock.jobs.create({ url: hook });
    await markSucceeded(job.id);
    const err = await tock.jobs.cancel(job.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: 'job_already_executed', status: 409, message: `Job '${job.id}' cannot be cancelled: it is already succeeded` });
  });

  it('returns the earlier job for a repeated idempotency key, and a ConflictError for a different call', async () => {
    const first = await tock.jobs.create({ url: hook, idempotencyKey: 'order-42' });
    const again = await tock.jobs.create({ url: hook, idempotencyKey: 'order-42' });
    expect(again.id).toBe(first.id);
    const err = await tock.jobs.create({ url: `${hook}/other`, idempotencyKey: 'order-42' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: 'idempotency_conflict', status: 409 });
  });

  it('lists the attempts of a job newest first, across pages', async () => {
    const job = await tock.jobs.create({ url: hook });
    const ids = [await insertExecution(t, job, 1, 'timeout'), await insertExecution(t, job, 2, 'succeeded')];
    const page = await tock.jobs.listExecutions(job.id);
    expect(page.items.map((e) => [e.attempt, e.status])).toEqual([
      [2, 'succeeded'],
      [1, 'timeout'],
    ]);
    expect(page.items[1].finishedAt).toEqual(new Date(Date.UTC(2026, 0, 1, 12, 0, 1, 42)));
    const all: string[] = [];
    for await (const e of tock.jobs.iterateExecutions(job.id, { pageSize: 1 })) all.push(e.id);
    expect(all).toEqual([ids[1], ids[0]]);
  });

  it('rejects an invalid target URL with the url field named', async () => {
    await expect(tock.jobs.create({ url: 'ftp://example.com/x' })).rejects.toMatchObject({ field: 'url', code: 'invalid_url', status: 400 });
  });

  it('answers NotFoundError for another tenant’s job on every operation', async () => {
    const theirs = await t.core.jobs.create(b.actor, { url: hook });
    await expect(tock.jobs.get(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tock.jobs.cancel(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tock.jobs.listExecutions(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await t.core.jobs.get(b.actor, theirs.id)).status).toBe('scheduled');
  });
});
