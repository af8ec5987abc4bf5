import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError, type ScheduleInput, type TockClient } from '../../../client/src/index.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { insertExecution, recordingFetch, startTrpcServer, type TrpcServer } from './harness.js';

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

const hook = 'https://example.com/hook';

describe('schedules over tRPC', () => {
  it('creates a cron schedule and returns it with Date fields and without internal ones', async () => {
    const s = await tock.schedules.create({ name: 'nightly', url: hook, cron: '30 2 * * *', timezone: 'Europe/Riga' });
    expect(s.id).toMatch(/^sched_/);
    expect(s).toMatchObject({ name: 'nightly', cron: '30 2 * * *', timezone: 'Europe/Riga', method: 'POST', state: 'active', projectId: a.projectId });
    expect(s.createdAt).toBeInstanceOf(Date);
    expect(s.nextRunAt).toBeInstanceOf(Date);
    expect(s.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
    expect(s).not.toHaveProperty('shard');
  });

  it('gets a schedule with the same values the create returned', async () => {
    const created = await tock.schedules.create({ url: hook, intervalSeconds: 90, headers: { 'x-token': 'abc' }, body: '{"a":1}' });
    const got = await tock.schedules.get(created.id);
    expect(got).toEqual(created);
    expect(got.headers).toEqual({ 'x-token': 'abc' });
  });

  it('updates with a patch where absent fields stay, null clears and cron replaces the interval', async () => {
    const s = await tock.schedules.create({ url: hook, intervalSeconds: 60, description: 'old', maxRetries: 2 });
    const updated = await tock.schedules.update(s.id, { description: null, cron: '0 9 * * 1-5' });
    expect(updated.description).toBeNull();
    expect(updated.cron).toBe('0 9 * * 1-5');
    expect(updated.intervalSeconds).toBeNull();
    expect(updated.maxRetries).toBe(2);
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(s.updatedAt.getTime());
  });

  it('pauses and resumes a schedule, clearing and recomputing its next run', async () => {
    const s = await tock.schedules.create({ url: hook, intervalSeconds: 300 });
    const paused = await tock.schedules.pause(s.id);
    expect(paused.state).toBe('paused');
    expect(paused.nextRunAt).toBeNull();
    const resumed = await tock.schedules.resume(s.id);
    expect(resumed.state).toBe('active');
    expect(resumed.nextRunAt).toBeInstanceOf(Date);
  });

  it('triggers a schedule into a manual job due now', async () => {
    const s = await tock.schedules.create({ url: hook, cron: '0 0 1 1 *', method: 'put' });
    const job = await tock.schedules.trigger(s.id);
    expect(job).toMatchObject({ scheduleId: s.id, source: 'manual', status: 'scheduled', method: 'PUT', url: hook });
    expect(job.scheduledAt).toBeInstanceOf(Date);
    expect(Math.abs(job.scheduledAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('deletes a schedule, after which it is not found', async () => {
    const s = await tock.schedules.create({ url: hook, intervalSeconds: 60 });
    await expect(tock.schedules.delete(s.id)).resolves.toBeUndefined();
    await expect(tock.schedules.get(s.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists the executions of a schedule newest first, with Date fields, page by page', async () => {
    const s = await tock.schedules.create({ url: hook, intervalSeconds: 60 });
    const job = await tock.schedules.trigger(s.id);
    const ids = [];
    for (let attempt = 1; attempt <= 3; attempt++) ids.push(await insertExecution(t, job, attempt, attempt < 3 ? 'failed' : 'succeeded'));
    const first = await tock.schedules.listExecutions(s.id, { pageSize: 2 });
    expect(first.items.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    expect(first.items[0]).toMatchObject({ jobId: job.id, scheduleId: s.id, attempt: 3, status: 'succeeded', statusCode: 200, durationMs: 42 });
    expect(first.items[0].startedAt).toEqual(new Date(Date.UTC(2026, 0, 1, 12, 0, 3)));
    expect(first.nextPageToken).toEqual(expect.any(String));
    const all = [];
    for await (const e of tock.schedules.iterateExecutions(s.id, { pageSize: 2 })) all.push(e.id);
    expect(all).toEqual([...ids].reverse());
  });

  it('iterates over every schedule across several pages', async () => {
    const { fetch, urls } = recordingFetch();
    const t2 = await t.tenant('paging');
    const client = srv.client(t2.secret, { fetch });
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await client.schedules.create({ url: `${hook}/${i}`, intervalSeconds: 60 + i })).id);
    urls.length = 0;
    const seen: string[] = [];
    for await (const s of client.schedules.iterate({ pageSize: 3 })) seen.push(s.id);
    expect(seen).toEqual(created);
    expect(urls.filter((u) => u.includes('schedules.list'))).toHaveLength(3);
    const page = await client.schedules.list({ pageSize: 5 });
    expect(page.items).toHaveLength(5);
    const rest = await client.schedules.list({ pageSize: 5, pageToken: page.nextPageToken });
    expect(rest.items.map((s) => s.id)).toEqual(created.slice(5));
    expect(rest.nextPageToken).toBeNull();
  });

  it('lists and iterates only the schedules in the requested state', async () => {
    const client = srv.client((await t.tenant('states')).secret);
    const active = await client.schedules.create({ url: hook, intervalSeconds: 60 });
    const paused = await client.schedules.create({ url: hook, intervalSeconds: 60, state: 'paused' });
    expect((await client.schedules.list({ state: 'paused' })).items.map((s) => s.id)).toEqual([paused.id]);
    expect((await client.schedules.list({ state: 'active' })).items.map((s) => s.id)).toEqual([active.id]);
    expect((await client.schedules.list()).items.map((s) => s.id)).toEqual([active.id, paused.id]);
    const iterated: string[] = [];
    for await (const s of client.schedules.iterate({ state: 'active', pageSize: 1 })) iterated.push(s.id);
    expect(iterated).toEqual([active.id]);
  });

  it('rejects an unknown state filter with a ValidationError naming state', async () => {
    await expect(tock.schedules.list({ state: 'sleeping' as never })).rejects.toMatchObject({ field: 'state', status: 400, code: 'invalid_argument' });
  });

  it('rejects a four-field cron with a ValidationError naming the cron field', async () => {
    const err = await tock.schedules.create({ url: hook, cron: '* * * *' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field: 'cron', code: 'invalid_cron', status: 400 });
    expect((err as ValidationError).message).toBe("Invalid cron expression: '* * * *' (expected 5 fields, or 6 with seconds first; got 4)");
  });

  it('reports input of the wrong type, caught by tRPC input parsing, with the snake_case field', async () => {
    const err = await tock.schedules.create({ url: hook, intervalSeconds: 60, timeoutMs: 'soon' } as unknown as ScheduleInput).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field: 'timeout_ms', code: 'invalid_argument', status: 400 });
    expect((err as Error).message).toMatch(/^timeout_ms: /);
  });

  it('reports a missing required field as required', async () => {
    const err = await tock.schedules.create({ cron: '0 9 * * *' } as ScheduleInput).catch((e: unknown) => e);
    expect(err).toMatchObject({ field: 'url', message: 'url: is required' });
  });

  it('reports unknown fields by name, including inside an update patch', async () => {
    await expect(tock.schedules.create({ url: hook, intervalSeconds: 60, colour: 'red' } as ScheduleInput)).rejects.toMatchObject({
      field: 'colour',
      message: 'Unknown field: colour',
    });
    const s = await tock.schedules.create({ url: hook, intervalSeconds: 60 });
    await expect(tock.schedules.update(s.id, { retryBackoffMs: 'x' } as never)).rejects.toMatchObject({ field: 'retry_backoff_ms' });
    await expect(tock.schedules.update(s.id, { cron: '* * * *' })).rejects.toMatchObject({ field: 'cron', code: 'invalid_cron' });
  });

  it('answers NotFoundError for an unknown id and for another tenant’s schedule alike', async () => {
    const theirs = await t.core.schedules.create(b.actor, { url: hook, intervalSeconds: 60 });
    for (const id of ['sched_00000000000000000000000000', 'nonsense', theirs.id]) {
      const err = await tock.schedules.get(id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ code: 'not_found', status: 404, message: `No schedule with id '${id}'` });
    }
    await expect(tock.schedules.update(theirs.id, { name: 'mine' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(tock.schedules.delete(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tock.schedules.trigger(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tock.schedules.listExecutions(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await t.core.schedules.get(b.actor, theirs.id)).name).not.toBe('mine');
  });
});
