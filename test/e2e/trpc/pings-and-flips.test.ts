import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError, type TockClient } from '../../../client/src/index.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { startTrpcServer, type TrpcServer } from './harness.js';

let t: TestCore;
let a: TestTenant;
let b: TestTenant;
let srv: TrpcServer;
let tock: TockClient;

beforeAll(async () => {
  t = await createTestCore({ publicUrl: 'https://tock.example' });
  a = await t.tenant('a');
  b = await t.tenant('b');
  srv = await startTrpcServer(t);
  tock = srv.client(a.secret);
});
afterAll(async () => {
  await srv?.close();
  await t?.close();
});

describe('monitor pings over tRPC', () => {
  it('records an exit status through the API: 0 a success, non-zero a fail, listed newest first', async () => {
    const m = await tock.monitors.create({ periodSeconds: 600 });
    expect((await tock.monitors.recordPing(m.id, 'success', { exitStatus: 0, body: 'ok' })).status).toBe('up');
    expect((await tock.monitors.recordPing(m.id, 'success', { exitStatus: 7 })).status).toBe('down');
    const page = await tock.monitors.listPings(m.id);
    expect(page.items.map((p) => [p.kind, p.exitStatus, p.body])).toEqual([
      ['fail', 7, null],
      ['success', 0, 'ok'],
    ]);
    expect(page.items[0].receivedAt).toBeInstanceOf(Date);
    expect(page.items[0].monitorId).toBe(m.id);
  });

  it('pages through the ping log with the next page token', async () => {
    const m = await tock.monitors.create({ periodSeconds: 600 });
    for (let i = 0; i < 3; i++) await tock.monitors.recordPing(m.id, 'success', { body: String(i) });
    const first = await tock.monitors.listPings(m.id, { pageSize: 2 });
    expect(first.items.map((p) => p.body)).toEqual(['2', '1']);
    expect(first.nextPageToken).toBeTruthy();
    const second = await tock.monitors.listPings(m.id, { pageSize: 2, pageToken: first.nextPageToken });
    expect(second.items.map((p) => p.body)).toEqual(['0']);
  });

  it('refuses an exit status outside 0-255 and records nothing', async () => {
    const m = await tock.monitors.create({ periodSeconds: 600 });
    const err = await tock.monitors.recordPing(m.id, 'success', { exitStatus: 256 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toBe('exit_status: must be a whole number from 0 to 255');
    expect((await tock.monitors.listPings(m.id)).items).toEqual([]);
  });

  it("does not list another tenant's pings", async () => {
    const theirs = await srv.client(b.secret).monitors.create({ periodSeconds: 600 });
    await expect(tock.monitors.listPings(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('ping keys over tRPC', () => {
  it('reads the same ping key twice and rotates it to a new one', async () => {
    const key = await tock.projects.getPingKey(a.projectId);
    expect(key).toMatch(/^pk_[0-9A-Za-z]{24}$/);
    expect(await tock.projects.getPingKey(a.projectId)).toBe(key);
    const rotated = await tock.projects.rotatePingKey(a.projectId);
    expect(rotated).toMatch(/^pk_[0-9A-Za-z]{24}$/);
    expect(rotated).not.toBe(key);
    expect(await tock.projects.getPingKey(a.projectId)).toBe(rotated);
    await expect(tock.projects.getPingKey(b.projectId)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('flips over tRPC', () => {
  it("lists a monitor's status changes newest first with their reasons", async () => {
    const m = await tock.monitors.create({ periodSeconds: 600 });
    await tock.monitors.recordPing(m.id);
    await tock.monitors.recordPing(m.id, 'fail');
    const flips = await tock.flips.list('monitor', m.id);
    expect(flips.items.map((f) => [f.fromStatus, f.toStatus, f.reason])).toEqual([
      ['up', 'down', 'fail_ping'],
      ['new', 'up', 'first_ping'],
    ]);
    expect(flips.items[0]).toMatchObject({ subjectType: 'monitor', subjectId: m.id });
    expect(flips.items[0].at).toBeInstanceOf(Date);
    expect(flips.items[0]).not.toHaveProperty('projectId');
  });

  it("answers not found for another tenant's monitor", async () => {
    const theirs = await srv.client(b.secret).monitors.create({ periodSeconds: 600 });
    await expect(tock.flips.list('monitor', theirs.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('alerts over tRPC', () => {
  it("lists the alert a monitor's fail ping enqueued for its email channel, without the message body", async () => {
    const m = await tock.monitors.create({ periodSeconds: 600, alertEmail: 'ops@example.com' });
    await tock.monitors.recordPing(m.id);
    expect((await tock.alerts.list('monitor', m.id)).items).toEqual([]);
    await tock.monitors.recordPing(m.id, 'success', { exitStatus: 1 });
    const page = await tock.alerts.list('monitor', m.id);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ event: 'monitor.down', subjectType: 'monitor', subjectId: m.id, channel: 'email', target: 'ops@example.com', status: 'pending', attempts: 0, sentAt: null });
    expect(page.items[0].createdAt).toBeInstanceOf(Date);
    expect(page.items[0]).not.toHaveProperty('payload');
    expect(page.items[0]).not.toHaveProperty('shard');
  });

  it("answers not found for another tenant's monitor", async () => {
    const theirs = await srv.client(b.secret).monitors.create({ periodSeconds: 600 });
    await expect(tock.alerts.list('monitor', theirs.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
