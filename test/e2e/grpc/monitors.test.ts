import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Monitor, PingKind } from '../../../client/src/gen/tock/v1/monitor.js';
import type { TestTenant } from '../../helpers/core.js';
import { bearer, failure, startHarness, type Clients, type Harness } from './harness.js';

let h: Harness;
let a: TestTenant;
let api: Clients;

beforeAll(async () => {
  h = await startHarness();
  a = await h.t.tenant('a');
  api = h.clients(bearer(a.secret));
});
afterAll(() => h.close());

const create = (fields: Partial<Monitor>) => api.monitors.createMonitor({ monitor: Monitor.fromPartial(fields) });

describe('gRPC MonitorService', () => {
  it('creates a period monitor with its ping URL and reads it back unchanged', async () => {
    const m = await create({ name: 'backup', periodSeconds: 3600, alertEmail: 'ops@example.com' });
    expect(m).toMatchObject({
      name: 'backup',
      periodSeconds: 3600,
      timezone: 'UTC',
      graceSeconds: 60,
      status: 'new',
      pingCount: 0,
      alertEmail: 'ops@example.com',
      alertWebhook: '',
    });
    expect(m.id).toMatch(/^mon_[0-9a-z]{26}$/);
    expect(m.cron).toBeUndefined();
    expect(m.lastPingAt).toBeUndefined();
    expect(m.pingUrl).toMatch(/^http:\/\/tock\.test\/ping\/[0-9A-Za-z]{16,64}$/);
    expect(await api.monitors.getMonitor({ id: m.id })).toEqual(m);
  });

  it('rejects a monitor with both a period and a cron', async () => {
    const err = await failure(create({ periodSeconds: 60, cron: '0 * * * *' }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe('Set either cron or period_seconds, not both');
  });

  it('pages through monitors two at a time: three pages, every id once', async () => {
    const b = await h.t.tenant('paging');
    const own = h.clients(bearer(b.secret));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await own.monitors.createMonitor({ monitor: Monitor.fromPartial({ periodSeconds: 60 + i }) })).id);
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await own.monitors.listMonitors({ pageSize: 2, pageToken });
      seen.push(...page.monitors.map((m) => m.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
  });

  it('updates masked fields: switches period to cron, resets grace to the default, clears the alert e-mail', async () => {
    const m = await create({ name: 'nightly', periodSeconds: 86400, graceSeconds: 600, alertEmail: 'ops@example.com' });
    const updated = await api.monitors.updateMonitor({
      monitor: Monitor.fromPartial({ id: m.id, cron: '0 4 * * *', timezone: 'Europe/Paris', name: 'ignored' }),
      updateMask: ['cron', 'timezone', 'grace_seconds', 'alert_email'],
    });
    expect(updated).toMatchObject({ name: 'nightly', cron: '0 4 * * *', timezone: 'Europe/Paris', graceSeconds: 60, alertEmail: '' });
    expect(updated.periodSeconds).toBeUndefined();
    expect(updated.pingUrl).toBe(m.pingUrl);
    expect(await api.monitors.getMonitor({ id: m.id })).toEqual(updated);
  });

  it('rejects an update mask naming an output-only field', async () => {
    const m = await create({ periodSeconds: 60 });
    const err = await failure(api.monitors.updateMonitor({ monitor: Monitor.fromPartial({ id: m.id }), updateMask: ['ping_url'] }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain("'ping_url'");
  });

  it('records pings: success turns the monitor up, fail turns it down, start only counts', async () => {
    const m = await create({ periodSeconds: 300 });
    const up = await api.monitors.recordPing({ id: m.id, kind: PingKind.PING_KIND_UNSPECIFIED, body: '' });
    expect(up.status).toBe('up');
    expect(up.pingCount).toBe(1);
    expect(up.lastPingAt).toBeInstanceOf(Date);
    const started = await api.monitors.recordPing({ id: m.id, kind: PingKind.PING_KIND_START, body: '' });
    expect(started).toMatchObject({ status: 'up', pingCount: 2 });
    const down = await api.monitors.recordPing({ id: m.id, kind: PingKind.PING_KIND_FAIL, body: 'exit code 1' });
    expect(down).toMatchObject({ status: 'down', pingCount: 3 });
    const [ping] = await h.t.database.db.execute<{ body: string; user_agent: string; source_ip: string }>(
      "select body, user_agent, source_ip from pings where monitor_id = ? and kind = 'fail'",
      [m.id],
    );
    expect(ping.body).toBe('exit code 1');
    expect(ping.user_agent).toContain('grpc-node-js');
    expect(ping.source_ip).toBe('127.0.0.1');
  });

  it('rejects a ping kind outside the enum with INVALID_ARGUMENT', async () => {
    const m = await create({ periodSeconds: 60 });
    const err = await failure(api.monitors.recordPing({ id: m.id, kind: 7 as PingKind, body: '' }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.tockField).toBe('kind');
  });

  it('pauses and resumes a monitor', async () => {
    const m = await create({ periodSeconds: 60 });
    await api.monitors.recordPing({ id: m.id, kind: PingKind.PING_KIND_SUCCESS, body: '' });
    expect((await api.monitors.pauseMonitor({ id: m.id })).status).toBe('paused');
    expect((await api.monitors.resumeMonitor({ id: m.id })).status).toBe('new');
  });

  it('creates a monitor with a key that names it, and answers ALREADY_EXISTS for the same key again', async () => {
    const m = await create({ key: 'nightly-backup', periodSeconds: 86400 });
    expect(m).toMatchObject({ key: 'nightly-backup', name: 'nightly-backup' });
    expect((await create({ periodSeconds: 60 })).key).toBe('');
    const dup = await failure(create({ key: 'nightly-backup', periodSeconds: 60 }));
    expect(dup.code).toBe(status.ALREADY_EXISTS);
    expect(dup.tockCode).toBe('already_exists');
  });

  it('changes and clears the key through the update mask', async () => {
    const m = await create({ key: 'before', periodSeconds: 60 });
    const renamed = await api.monitors.updateMonitor({ monitor: Monitor.fromPartial({ id: m.id, key: 'after' }), updateMask: ['key'] });
    expect(renamed.key).toBe('after');
    const cleared = await api.monitors.updateMonitor({ monitor: Monitor.fromPartial({ id: m.id }), updateMask: ['key'] });
    expect(cleared.key).toBe('');
  });

  it('reports last_start_at and a deadline of start + grace after a start ping, and next_deadline_at (period + grace) after a success ping', async () => {
    const m = await create({ periodSeconds: 300, graceSeconds: 30 });
    expect(m.lastStartAt).toBeUndefined();
    expect(m.nextDeadlineAt).toBeUndefined();
    const started = await api.monitors.recordPing({ id: m.id, kind: PingKind.PING_KIND_START, body: '' });
    expect(started.lastStartAt).toBeInstanceOf(Date);
    expect(started.nextDeadlineAt!.getTime() - started.lastStartAt!.getTime()).toBe(30_000);
    const up = await api.monitors.recordPing({ id: m.id, kind: PingKind.PING_KIND_SUCCESS, body: '' });
    expect(up.nextDeadlineAt!.getTime() - up.lastPingAt!.getTime()).toBe(330_000);
    expect(await api.monitors.getMonitor({ id: m.id })).toEqual(up);
  });

  it('resumes a paused monitor as "new" with no deadline until the next ping', async () => {
    const m = await create({ periodSeconds: 60 });
    await api.monitors.recordPing({ id: m.id, kind: PingKind.PING_KIND_SUCCESS, body: '' });
    await api.monitors.pauseMonitor({ id: m.id });
    const resumed = await api.monitors.resumeMonitor({ id: m.id });
    expect(resumed.status).toBe('new');
    expect(resumed.nextDeadlineAt).toBeUndefined();
  });

  it('deletes a monitor, after which it is NOT_FOUND', async () => {
    const m = await create({ periodSeconds: 60 });
    expect(await api.monitors.deleteMonitor({ id: m.id })).toEqual({});
    expect((await failure(api.monitors.getMonitor({ id: m.id }))).code).toBe(status.NOT_FOUND);
  });

  it("answers NOT_FOUND for another tenant's monitor, on every method", async () => {
    const other = h.clients(bearer((await h.t.tenant('other')).secret));
    const { id } = await other.monitors.createMonitor({ monitor: Monitor.fromPartial({ periodSeconds: 60 }) });
    for (const call of [
      () => api.monitors.getMonitor({ id }),
      () => api.monitors.updateMonitor({ monitor: Monitor.fromPartial({ id, name: 'x' }), updateMask: ['name'] }),
      () => api.monitors.deleteMonitor({ id }),
      () => api.monitors.pauseMonitor({ id }),
      () => api.monitors.resumeMonitor({ id }),
      () => api.monitors.recordPing({ id, kind: PingKind.PING_KIND_SUCCESS, body: '' }),
    ]) {
      const err = await failure(call());
      expect(err.code).toBe(status.NOT_FOUND);
      expect(err.details).toBe(`No monitor with id '${id}'`);
    }
    expect((await other.monitors.getMonitor({ id })).status).toBe('new');
  });
});
