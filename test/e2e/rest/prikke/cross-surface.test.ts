import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TockClient } from '../../../../client/src/index.js';
import type { TestTenant } from '../../../helpers/core.js';
import { call, startPrikke, type PrikkeServer } from './harness.js';

/**
 * One object, one identity: what is made through the Prikke API is what tRPC (@tock/client)
 * reads, with the same stored values, and the reverse, on the same listening port.
 */

let s: PrikkeServer;
let a: TestTenant;
let tock: TockClient;

beforeAll(async () => {
  s = await startPrikke();
  a = await s.tenant('cross');
  tock = s.trpc(a.secret);
});
afterAll(() => s?.close());

const prikke = (method: string, path: string, json?: unknown) => call(s.url, method, path, { key: a.secret, json });

describe('made through Prikke, read through tRPC', () => {
  it('a recurring job is the schedule with the same id and values', async () => {
    const { job } = (
      await prikke('POST', '/jobs', { key: 'backup', name: 'Backup', url: 'https://myapp.com/b', cron: '0 6 * * *', method: 'get', headers: { 'X-A': '1' }, body: 'b', enabled: false })
    ).body;
    const schedule = await tock.schedules.get(job.id);
    expect(schedule).toMatchObject({ id: job.id, key: 'backup', name: 'Backup', url: 'https://myapp.com/b', cron: '0 6 * * *', method: 'GET', headers: { 'X-A': '1' }, body: 'b', state: 'paused', timezone: 'UTC' });
    expect(schedule.createdAt.toISOString().replace('.000Z', 'Z')).toBe(job.created_at);
  });

  it('a one-time job is the job with the same id, name, key (its idempotency key) and due time', async () => {
    const { job } = (await prikke('POST', '/jobs', { key: 'remind', name: 'Remind', url: 'https://myapp.com/r', run_at: '2031-02-01T09:00:00Z', body: '{"user_id": 123}' })).body;
    expect(await tock.jobs.get(job.id)).toMatchObject({
      id: job.id,
      name: 'Remind',
      idempotencyKey: 'remind',
      url: 'https://myapp.com/r',
      method: 'POST',
      body: '{"user_id": 123}',
      scheduledAt: new Date('2031-02-01T09:00:00Z'),
      status: 'scheduled',
      scheduleId: null,
    });
  });

  it("the project's notifications are the project's settings", async () => {
    await prikke('PUT', '/project', { notifications: { email: 'ops@myapp.com', webhook_url: 'https://hooks.slack.com/services/T/B/X' } });
    expect(await tock.projects.get(a.projectId)).toMatchObject({ notifyEmail: 'ops@myapp.com', notifyWebhookUrl: 'https://hooks.slack.com/services/T/B/X' });
  });

  it('a synced job is a keyed schedule that a later tRPC change makes "updated" to the next sync', async () => {
    const file = { jobs: [{ key: 'synced', name: 'Synced', url: 'https://myapp.com/s', cron: '0 * * * *' }] };
    const first = await prikke('PUT', '/sync', file);
    const id = first.body.jobs[0].id as string;
    await tock.schedules.update(id, { cron: '30 * * * *' });
    const again = await prikke('PUT', '/sync', file);
    expect(again.body).toMatchObject({ updated: ['synced'], jobs: [{ id, cron: '0 * * * *' }] });
    expect((await tock.schedules.get(id)).cron).toBe('0 * * * *');
  });
});

describe('made through tRPC, read through Prikke', () => {
  it('a schedule is a recurring job, its state its enabled flag', async () => {
    const schedule = await tock.schedules.create({ key: 'from-trpc', name: 'From tRPC', url: 'https://myapp.com/t', cron: '15 4 * * *', headers: { 'X-B': '2' } });
    await tock.schedules.pause(schedule.id);
    const byKey = await prikke('GET', '/jobs/key/from-trpc');
    expect(byKey.body.job).toMatchObject({ id: schedule.id, key: 'from-trpc', name: 'From tRPC', url: 'https://myapp.com/t', cron: '15 4 * * *', headers: { 'X-B': '2' }, enabled: false });
    expect((await prikke('GET', '/jobs')).body.jobs.map((j: { id: string }) => j.id)).toContain(schedule.id);
  });

  it('a one-time job is a job with run_at, listed while it is pending', async () => {
    const job = await tock.jobs.create({ name: 'Once', url: 'https://myapp.com/once', scheduledAt: '2031-03-01T00:00:00.250Z', idempotencyKey: 'once-1' });
    expect((await prikke('GET', `/jobs/${job.id}`)).body.job).toMatchObject({ id: job.id, key: 'once-1', name: 'Once', run_at: '2031-03-01T00:00:00.250Z', status: 'scheduled', enabled: true });
    expect((await prikke('GET', '/jobs')).body.jobs.map((j: { id: string }) => j.id)).toContain(job.id);
    await tock.jobs.cancel(job.id);
    expect((await prikke('GET', '/jobs')).body.jobs.map((j: { id: string }) => j.id)).not.toContain(job.id);
    expect((await prikke('GET', '/jobs/key/once-1')).body.job.status).toBe('cancelled');
  });

  it('project settings are the notifications', async () => {
    await tock.projects.update(a.projectId, { notifyEmail: null, notifyWebhookUrl: 'https://discord.com/api/webhooks/1/y' });
    expect((await prikke('GET', '/project')).body).toEqual({ notifications: { email: null, webhook_url: 'https://discord.com/api/webhooks/1/y' } });
  });
});
