import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Monitor, PingKind } from '../../../client/src/gen/tock/v1/monitor.js';
import type { TestTenant } from '../../helpers/core.js';
import { bearer, failure, startHarness, type Clients, type Harness } from './harness.js';

let h: Harness;
let a: TestTenant;
let b: TestTenant;
let api: Clients;
let theirs: Clients;

beforeAll(async () => {
  h = await startHarness({ publicUrl: 'https://tock.example' });
  a = await h.t.tenant('a');
  b = await h.t.tenant('b');
  api = h.clients(bearer(a.secret));
  theirs = h.clients(bearer(b.secret));
});
afterAll(() => h.close());

const monitor = (fields: Partial<Monitor> = {}) => api.monitors.createMonitor({ monitor: Monitor.fromPartial({ periodSeconds: 600, ...fields }) });
const ping = (id: string, fields: { kind?: PingKind; body?: string; exitStatus?: number } = {}) =>
  api.monitors.recordPing({ id, kind: fields.kind ?? PingKind.PING_KIND_SUCCESS, body: fields.body ?? '', exitStatus: fields.exitStatus });

describe('gRPC MonitorService.RecordPing exit_status and ListMonitorPings', () => {
  it('records an exit status: 0 is a success and non-zero a fail, whatever the kind, listed newest first', async () => {
    const m = await monitor();
    expect((await ping(m.id, { exitStatus: 0, body: 'ok' })).status).toBe('up');
    expect((await ping(m.id, { exitStatus: 7 })).status).toBe('down');
    const page = await api.monitors.listMonitorPings({ id: m.id, pageSize: 0, pageToken: '' });
    expect(page.pings.map((p) => [p.kind, p.exitStatus, p.body])).toEqual([
      ['fail', 7, undefined],
      ['success', 0, 'ok'],
    ]);
    expect(page.pings[0]).toMatchObject({ monitorId: m.id, sourceIp: '127.0.0.1' });
    expect(page.pings[0].receivedAt).toBeInstanceOf(Date);
    expect(page.nextPageToken).toBe('');
  });

  it('leaves exit_status unset on a ping that sent none', async () => {
    const m = await monitor();
    await ping(m.id, { kind: PingKind.PING_KIND_START });
    const [p] = (await api.monitors.listMonitorPings({ id: m.id, pageSize: 0, pageToken: '' })).pings;
    expect(p.kind).toBe('start');
    expect(p.exitStatus).toBeUndefined();
  });

  it('pages through the ping log with the next page token', async () => {
    const m = await monitor();
    for (let i = 0; i < 3; i++) await ping(m.id, { body: String(i) });
    const first = await api.monitors.listMonitorPings({ id: m.id, pageSize: 2, pageToken: '' });
    expect(first.pings.map((p) => p.body)).toEqual(['2', '1']);
    expect(first.nextPageToken).not.toBe('');
    const second = await api.monitors.listMonitorPings({ id: m.id, pageSize: 2, pageToken: first.nextPageToken });
    expect(second.pings.map((p) => p.body)).toEqual(['0']);
  });

  it('refuses an exit status outside 0-255, naming exit_status, and records nothing', async () => {
    const m = await monitor();
    const err = await failure(ping(m.id, { exitStatus: 256 }));
    expect([err.code, err.tockField]).toEqual([status.INVALID_ARGUMENT, 'exit_status']);
    expect((await api.monitors.listMonitorPings({ id: m.id, pageSize: 0, pageToken: '' })).pings).toEqual([]);
  });

  it("answers NOT_FOUND for another tenant's monitor", async () => {
    const m = await theirs.monitors.createMonitor({ monitor: Monitor.fromPartial({ periodSeconds: 600 }) });
    expect((await failure(api.monitors.listMonitorPings({ id: m.id, pageSize: 0, pageToken: '' }))).code).toBe(status.NOT_FOUND);
  });
});

describe('gRPC ProjectService.GetPingKey and RotatePingKey', () => {
  it('reads the same ping key twice and rotates it to a new one', async () => {
    const { pingKey } = await api.projects.getPingKey({ id: a.projectId });
    expect(pingKey).toMatch(/^pk_[0-9A-Za-z]{24}$/);
    expect((await api.projects.getPingKey({ id: a.projectId })).pingKey).toBe(pingKey);
    const rotated = (await api.projects.rotatePingKey({ id: a.projectId })).pingKey;
    expect(rotated).toMatch(/^pk_[0-9A-Za-z]{24}$/);
    expect(rotated).not.toBe(pingKey);
    expect((await api.projects.getPingKey({ id: a.projectId })).pingKey).toBe(rotated);
  });

  it("answers NOT_FOUND for another account's project and PERMISSION_DENIED without write:monitors", async () => {
    expect((await failure(api.projects.getPingKey({ id: b.projectId }))).code).toBe(status.NOT_FOUND);
    const { secret } = await h.t.core.keys.createUnchecked({ accountId: a.principal.accountId, scopes: ['read:monitors'] });
    expect((await failure(h.clients(bearer(secret)).projects.rotatePingKey({ id: a.projectId }))).code).toBe(status.PERMISSION_DENIED);
  });
});

describe('gRPC AlertService', () => {
  it("lists a monitor's flips newest first with their reasons", async () => {
    const m = await monitor();
    await ping(m.id);
    await ping(m.id, { kind: PingKind.PING_KIND_FAIL });
    const { flips, nextPageToken } = await api.alerts.listFlips({ subjectType: 'monitor', subjectId: m.id, pageSize: 0, pageToken: '' });
    expect(flips.map((f) => [f.fromStatus, f.toStatus, f.reason])).toEqual([
      ['up', 'down', 'fail_ping'],
      ['new', 'up', 'first_ping'],
    ]);
    expect(flips[0]).toMatchObject({ subjectType: 'monitor', subjectId: m.id });
    expect(flips[0].at).toBeInstanceOf(Date);
    expect(nextPageToken).toBe('');
  });

  it("lists the alert a monitor's failure enqueued for its email channel", async () => {
    const m = await monitor({ alertEmail: 'ops@example.com' });
    await ping(m.id);
    expect((await api.alerts.listAlerts({ subjectType: 'monitor', subjectId: m.id, pageSize: 0, pageToken: '' })).alerts).toEqual([]);
    await ping(m.id, { exitStatus: 1 });
    const { alerts } = await api.alerts.listAlerts({ subjectType: 'monitor', subjectId: m.id, pageSize: 0, pageToken: '' });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ event: 'monitor.down', subjectType: 'monitor', subjectId: m.id, channel: 'email', target: 'ops@example.com', status: 'pending', attempts: 0, lastError: '' });
    expect(alerts[0].sentAt).toBeUndefined();
    expect(alerts[0].createdAt).toBeInstanceOf(Date);
  });

  it("answers NOT_FOUND for another tenant's subject and INVALID_ARGUMENT for an unknown subject type", async () => {
    const m = await theirs.monitors.createMonitor({ monitor: Monitor.fromPartial({ periodSeconds: 600 }) });
    expect((await failure(api.alerts.listFlips({ subjectType: 'monitor', subjectId: m.id, pageSize: 0, pageToken: '' }))).code).toBe(status.NOT_FOUND);
    expect((await failure(api.alerts.listAlerts({ subjectType: 'monitor', subjectId: m.id, pageSize: 0, pageToken: '' }))).code).toBe(status.NOT_FOUND);
    const bad = await failure(api.alerts.listFlips({ subjectType: 'gadget', subjectId: m.id, pageSize: 0, pageToken: '' }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.tockField).toBe('subject_type');
  });
});
