import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore, type TestCore, type TestTenant } from '../../../helpers/core.js';
import { call, pingAt, PUBLIC_URL, startCronpeekServer, type CronpeekServer } from './harness.js';

/**
 * One monitor, whichever surface made it: what CronPeek stores is what tRPC and the core read,
 * and what tRPC makes or changes is what CronPeek shows, with the same ping token behind both
 * ping URLs.
 */
let t: TestCore;
let server: CronpeekServer;
let a: TestTenant;

beforeAll(async () => {
  t = await createTestCore({ publicUrl: PUBLIC_URL });
  server = await startCronpeekServer(t, { openSignup: true });
  a = await t.tenant('a');
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const cronpeek = (path: string, method = 'GET', body?: unknown, key = a.secret) =>
  call(`${server.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('a monitor made through CronPeek', () => {
  it('is read through tRPC and the core with the same stored values', async () => {
    const made = await cronpeek('/api/v1/monitors', 'POST', {
      name: 'Nightly DB Backup',
      schedule: 86400,
      grace: 3600,
      alertEmail: 'dba@example.com',
      alertWebhook: 'https://hooks.slack.com/services/T00/B00/xxx',
    });
    expect(made.status).toBe(201);
    const id = made.json.monitorId;
    const viaTrpc = await server.trpc(a.secret).monitors.get(id);
    expect(viaTrpc).toMatchObject({
      id,
      projectId: a.projectId,
      name: 'Nightly DB Backup',
      periodSeconds: 86400,
      cron: null,
      graceSeconds: 3600,
      status: 'new',
      alertEmail: 'dba@example.com',
      alertWebhook: 'https://hooks.slack.com/services/T00/B00/xxx',
      pingCount: 0,
    });
    const stored = await t.core.monitors.get(a.actor, id);
    expect(made.json.pingUrl).toBe(`${PUBLIC_URL}/api/v1/ping/${stored.pingToken}`);
    expect(viaTrpc.pingUrl).toBe(`${PUBLIC_URL}/ping/${stored.pingToken}`);
  });

  it('changed and pinged through CronPeek reads the same through tRPC', async () => {
    const made = (await cronpeek('/api/v1/monitors', 'POST', { name: 'hourly', schedule: 3600 })).json;
    await cronpeek(`/api/v1/monitors/${made.monitorId}`, 'PATCH', { name: 'every hour', grace: 600 });
    expect((await call(pingAt(server, made.pingUrl), { method: 'POST', body: 'ok' })).status).toBe(200);
    expect(await server.trpc(a.secret).monitors.get(made.monitorId)).toMatchObject({
      name: 'every hour',
      periodSeconds: 3600,
      graceSeconds: 600,
      status: 'up',
      pingCount: 1,
      lastPingAt: expect.any(Date),
    });
  });
});

describe('a monitor made through tRPC', () => {
  it('is listed and read through CronPeek with the same values, and pinged at its CronPeek URL', async () => {
    const trpc = server.trpc(a.secret);
    const m = await trpc.monitors.create({ name: 'made on tRPC', periodSeconds: 900, graceSeconds: 120, alertWebhook: 'https://hooks.example.com/t' });
    const status = await cronpeek(`/api/v1/monitors/${m.id}/status`);
    expect(status.json).toEqual({
      monitorId: m.id,
      name: 'made on tRPC',
      pingUrl: `${PUBLIC_URL}/api/v1/ping/${m.pingUrl.split('/').pop()}`,
      schedule: 900,
      grace: 120,
      status: 'new',
      lastPing: null,
      lastAlert: null,
      pingCount: 0,
      alertEmail: null,
      alertWebhook: 'https://hooks.example.com/t',
    });
    const listed = await cronpeek('/api/v1/monitors');
    expect(listed.json.monitors[0]).toEqual(status.json);

    expect((await call(pingAt(server, status.json.pingUrl))).json).toEqual({ ok: true, monitor: 'made on tRPC', status: 'up' });
    await trpc.monitors.update(m.id, { name: 'renamed on tRPC', graceSeconds: 300 });
    expect((await cronpeek(`/api/v1/monitors/${m.id}`)).json).toMatchObject({ name: 'renamed on tRPC', grace: 300, status: 'up', pingCount: 1 });
  });

  it('on a cron expression shows schedule null, and a CronPeek schedule turns it into a period', async () => {
    const trpc = server.trpc(a.secret);
    const m = await trpc.monitors.create({ name: 'cron based', cron: '0 3 * * *', graceSeconds: 600 });
    expect((await cronpeek(`/api/v1/monitors/${m.id}`)).json).toMatchObject({ schedule: null, grace: 600 });
    const patched = await cronpeek(`/api/v1/monitors/${m.id}`, 'PATCH', { schedule: 86400 });
    expect(patched.json).toMatchObject({ schedule: 86400, grace: 600 });
    expect(await trpc.monitors.get(m.id)).toMatchObject({ cron: null, periodSeconds: 86400 });
  });

  it('deleted through CronPeek is gone for tRPC', async () => {
    const trpc = server.trpc(a.secret);
    const m = await trpc.monitors.create({ name: 'short lived', periodSeconds: 60 });
    expect((await cronpeek(`/api/v1/monitors/${m.id}`, 'DELETE')).json).toEqual({ deleted: true });
    await expect(trpc.monitors.get(m.id)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('an account made through CronPeek', () => {
  it('has a key that works on tRPC, acting on the same project', async () => {
    const account = await call(`${server.url}/api/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'cross@example.com' }),
    });
    const key = account.json.apiKey;
    const made = (await cronpeek('/api/v1/monitors', 'POST', { name: 'mine', schedule: 60 }, key)).json;
    const trpc = server.trpc(key);
    const [project] = (await trpc.projects.list()).items;
    expect(await trpc.monitors.get(made.monitorId)).toMatchObject({ projectId: project.id, name: 'mine' });
  });
});
