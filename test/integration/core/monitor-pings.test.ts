import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PING_TOKEN_LENGTH, isPingKeyForm, isPingTokenForm } from '../../../server/core/auth/secrets.js';
import { ManualClock } from '../../../server/core/clock.js';
import { NotFoundError } from '../../../server/core/errors.js';
import { AUTO_CREATED_MONITOR, pingSignal } from '../../../server/core/monitors/service.js';
import type { WakeKind } from '../../../server/core/wake.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { rejectionOf } from '../../helpers/rejection.js';

let t: TestCore;
let a: TestTenant;
const clock = new ManualClock(new Date('2026-05-01T10:00:00Z'));
const wakes: Array<{ kind: WakeKind; shard: number; at: Date }> = [];
const PING_LOG = 5;

beforeAll(async () => {
  t = await createTestCore({ clock, pingLogSize: PING_LOG, waker: { wake: (kind, shard, at) => wakes.push({ kind, shard, at }) } });
  a = await t.tenant('a');
});
afterAll(() => t.close());

const rows = <T>(sql: string, params: unknown[] = []) => t.database.db.execute<T>(sql, params);

describe('a ping', () => {
  it('keeps the body (up to 10 KiB, NUL removed), the client IP and user agent', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    const body = 'é'.repeat(6000) + '\u0000tail';
    await t.core.monitors.pingByToken(m.pingToken, 'success', { body, sourceIp: '203.0.113.7', userAgent: 'curl/8.5' });
    const [p] = (await t.core.monitors.listPings(a.actor, m.id)).items;
    expect(p).toMatchObject({ kind: 'success', sourceIp: '203.0.113.7', userAgent: 'curl/8.5', exitStatus: null, durationMs: null });
    expect(Buffer.byteLength(p.body!, 'utf8')).toBe(10 * 1024);
    expect(p.body).toBe('é'.repeat(5120));
  });

  it('with an exit status: 0 is a success, 1-255 a fail, kept on the ping', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    expect((await t.core.monitors.pingByToken(m.pingToken, 'success', { exitStatus: 0 })).status).toBe('up');
    expect((await t.core.monitors.pingByToken(m.pingToken, 'success', { exitStatus: 2 })).status).toBe('down');
    const pings = (await t.core.monitors.listPings(a.actor, m.id)).items;
    expect(pings.map((p) => [p.kind, p.exitStatus])).toEqual([
      ['fail', 2],
      ['success', 0],
    ]);
    const [flip] = (await t.core.alerts.listFlips(a.actor, 'monitor', m.id)).items;
    expect(flip).toMatchObject({ fromStatus: 'up', toStatus: 'down', reason: 'exit_status' });
    for (const bad of [-1, 256, 1.5]) {
      expect((await rejectionOf(t.core.monitors.pingByToken(m.pingToken, 'success', { exitStatus: bad }))).field).toBe('exit_status');
    }
  });

  it('names its signal in the last URL segment: start, fail or an exit status', () => {
    expect(pingSignal(undefined)).toEqual({ kind: 'success', exitStatus: null });
    expect(pingSignal('start')).toEqual({ kind: 'start', exitStatus: null });
    expect(pingSignal('fail')).toEqual({ kind: 'fail', exitStatus: null });
    expect(pingSignal('0')).toEqual({ kind: 'success', exitStatus: 0 });
    expect(pingSignal('255')).toEqual({ kind: 'fail', exitStatus: 255 });
    for (const bad of ['256', 'stop', '-1', '1e2']) expect(() => pingSignal(bad)).toThrow('use start, fail, or an exit status from 0 to 255');
  });

  it('after a start records the run duration', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    await t.core.monitors.pingByToken(m.pingToken, 'start');
    clock.advance(4_250);
    await t.core.monitors.pingByToken(m.pingToken, 'success');
    const [done] = (await t.core.monitors.listPings(a.actor, m.id)).items;
    expect(done).toMatchObject({ kind: 'success', durationMs: 4250 });
  });

  it('moves the deadline and wakes the owner of the monitor shard', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60, graceSeconds: 5 });
    wakes.length = 0;
    const up = await t.core.monitors.pingByToken(m.pingToken);
    expect(up.nextDeadlineAt).toEqual(new Date(clock.now().getTime() + 65_000));
    expect(wakes).toEqual([{ kind: 'monitor', shard: m.shard, at: up.nextDeadlineAt }]);
  });

  it('keeps a bounded log: the newest TOCK_PING_LOG_SIZE pings', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    for (let i = 0; i < 12; i++) await t.core.monitors.pingByToken(m.pingToken, 'success', { body: `#${i}` });
    const page = await t.core.monitors.listPings(a.actor, m.id, { pageSize: 100 });
    expect(page.items.map((p) => p.body)).toEqual(['#11', '#10', '#9', '#8', '#7']);
    expect((await t.core.monitors.get(a.actor, m.id)).pingCount).toBe(12);
  });

  it('pages the ping log newest first', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    for (let i = 0; i < 4; i++) await t.core.monitors.pingByToken(m.pingToken, 'success', { body: `#${i}` });
    const p1 = await t.core.monitors.listPings(a.actor, m.id, { pageSize: 3 });
    const p2 = await t.core.monitors.listPings(a.actor, m.id, { pageSize: 3, pageToken: p1.nextPageToken });
    expect([...p1.items, ...p2.items].map((p) => p.body)).toEqual(['#3', '#2', '#1', '#0']);
    expect(p2.nextPageToken).toBeNull();
  });

  it('records every status change as a flip, newest first', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    await t.core.monitors.pingByToken(m.pingToken);
    await t.core.monitors.pingByToken(m.pingToken, 'fail');
    await t.core.monitors.pingByToken(m.pingToken, 'fail');
    await t.core.monitors.pingByToken(m.pingToken);
    await t.core.monitors.pause(a.actor, m.id);
    await t.core.monitors.pingByToken(m.pingToken);
    await t.core.monitors.resume(a.actor, m.id);
    const flips = (await t.core.alerts.listFlips(a.actor, 'monitor', m.id)).items;
    expect(flips.map((f) => `${f.fromStatus}->${f.toStatus} ${f.reason}`)).toEqual([
      'paused->new resumed',
      'up->paused paused',
      'down->up ping',
      'up->down fail_ping',
      'new->up first_ping',
    ]);
  });

  it('are counted exactly when many arrive at once, each one logged', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    await Promise.all(Array.from({ length: 4 }, (_, i) => t.core.monitors.pingByToken(m.pingToken, 'success', { body: String(i) })));
    expect((await t.core.monitors.get(a.actor, m.id)).pingCount).toBe(4);
    expect((await t.core.monitors.listPings(a.actor, m.id)).items.map((p) => p.body).sort()).toEqual(['0', '1', '2', '3']);
  });
});

describe('a ping by token after the monitor changed on another node', () => {
  // A second core on the same database: another node, whose writes this one does not see.
  let other: TestCore;
  beforeAll(async () => {
    other = await createTestCore({ clock, database: t.database });
  });

  it('is written on the row as stored: a monitor paused elsewhere stays paused', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    expect((await t.core.monitors.pingByToken(m.pingToken)).status).toBe('up');
    await other.core.monitors.pause(a.actor, m.id);
    expect((await t.core.monitors.pingByToken(m.pingToken)).status).toBe('paused');
    expect(await t.core.monitors.get(a.actor, m.id)).toMatchObject({ status: 'paused', nextDeadlineAt: null });
  });

  it('counts the pings of both nodes, and finds nothing once the monitor is deleted elsewhere', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    await t.core.monitors.pingByToken(m.pingToken);
    await other.core.monitors.pingByToken(m.pingToken, 'fail');
    const last = await t.core.monitors.pingByToken(m.pingToken);
    expect(last).toMatchObject({ status: 'up', pingCount: 3 });
    expect((await t.core.monitors.listPings(a.actor, m.id)).items.map((p) => p.kind)).toEqual(['success', 'fail', 'success']);
    await other.core.monitors.delete(a.actor, m.id);
    expect(await rejectionOf(t.core.monitors.pingByToken(m.pingToken))).toBeInstanceOf(NotFoundError);
  });

  it('of many monitors at once writes each ping once, with its own monitor', async () => {
    const ms = await Promise.all(Array.from({ length: 8 }, () => t.core.monitors.create(a.actor, { periodSeconds: 60 })));
    await Promise.all(ms.flatMap((m) => [1, 2, 3].map(() => t.core.monitors.pingByToken(m.pingToken))));
    const counts = await rows<{ id: string; ping_count: string; logged: string }>(
      `select m.id, m.ping_count::text, (select count(*) from pings p where p.monitor_id = m.id)::text as logged
         from monitors m where m.id = any(?::text[])`,
      [`{${ms.map((m) => m.id).join(',')}}`],
    );
    expect(counts.map((c) => [c.ping_count, c.logged])).toEqual(ms.map(() => ['3', '3']));
  });
});

describe('ping tokens and ping keys', () => {
  it('tokens carry at least 128 random bits and never look like a ping key', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    expect(m.pingToken).toMatch(new RegExp(`^[0-9A-Za-z]{${PING_TOKEN_LENGTH}}$`));
    expect(PING_TOKEN_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(128);
    const key = await t.core.projects.getPingKey(a.principal, a.projectId);
    expect(key).toMatch(/^pk_[0-9A-Za-z]{24}$/);
    expect([isPingKeyForm(key), isPingTokenForm(key)]).toEqual([true, false]);
    expect([isPingKeyForm(m.pingToken), isPingTokenForm(m.pingToken)]).toEqual([false, true]);
  });

  it('a ping key pings a monitor by its key', async () => {
    const m = await t.core.monitors.create(a.actor, { key: 'nightly-backup', periodSeconds: 3600 });
    const key = await t.core.projects.getPingKey(a.principal, a.projectId);
    const up = await t.core.monitors.pingByKey(key, 'nightly-backup', 'success', { exitStatus: 0 });
    expect(up).toMatchObject({ id: m.id, status: 'up', pingCount: 1 });
  });

  it('creates the monitor on its first ping when asked, with a day of period and an hour of grace', async () => {
    const key = await t.core.projects.getPingKey(a.principal, a.projectId);
    await expect(t.core.monitors.pingByKey(key, 'fleet-17')).rejects.toBeInstanceOf(NotFoundError);
    const made = await Promise.all([1, 2, 3].map(() => t.core.monitors.pingByKey(key, 'fleet-17', 'success', {}, { create: true })));
    expect(new Set(made.map((m) => m.id)).size).toBe(1);
    const m = await t.core.monitors.get(a.actor, made[0].id);
    expect(m).toMatchObject({ key: 'fleet-17', name: 'fleet-17', status: 'up', pingCount: 3, ...AUTO_CREATED_MONITOR });
    expect(AUTO_CREATED_MONITOR).toEqual({ periodSeconds: 86_400, graceSeconds: 3_600 });
  });

  it('an unknown or rotated ping key, or a bad monitor key, finds nothing', async () => {
    const key = await t.core.projects.getPingKey(a.principal, a.projectId);
    await t.core.monitors.create(a.actor, { key: 'kept', periodSeconds: 60 });
    await expect(t.core.monitors.pingByKey('pk_' + 'x'.repeat(24), 'kept', 'success', {}, { create: true })).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.core.monitors.pingByKey(key.slice(3), 'kept')).rejects.toBeInstanceOf(NotFoundError);
    const err = await rejectionOf(t.core.monitors.pingByKey(key, 'bad key!', 'success', {}, { create: true }));
    expect(err.field).toBe('key');
    const rotated = await t.core.projects.rotatePingKey(a.principal, a.projectId);
    expect(rotated).not.toBe(key);
    await expect(t.core.monitors.pingByKey(key, 'kept')).rejects.toBeInstanceOf(NotFoundError);
    expect((await t.core.monitors.pingByKey(rotated, 'kept')).status).toBe('up');
  });

  it('another project cannot reach a monitor through its own ping key', async () => {
    const b = await t.tenant('b');
    await t.core.monitors.create(a.actor, { key: 'only-a', periodSeconds: 60 });
    const keyB = await t.core.projects.getPingKey(b.principal, b.projectId);
    await expect(t.core.monitors.pingByKey(keyB, 'only-a')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('projects made before ping keys get one on first ask, the same for two asks at once', async () => {
    const c = await t.tenant('c');
    await rows(`update projects set ping_key = null where id = ?`, [c.projectId]);
    const keys = await Promise.all([1, 2].map(() => t.core.projects.getPingKey(c.principal, c.projectId)));
    expect(keys[0]).toMatch(/^pk_/);
    expect(keys[1]).toBe(keys[0]);
  });
});

describe('monitor updates', () => {
  it('move the deadline in the same write when the period changes, and wake the owner', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60, graceSeconds: 10 });
    const up = await t.core.monitors.pingByToken(m.pingToken);
    wakes.length = 0;
    const u = await t.core.monitors.update(a.actor, m.id, { periodSeconds: 3600 });
    expect(u.nextDeadlineAt).toEqual(new Date(up.lastPingAt!.getTime() + 3_610_000));
    expect((await t.core.monitors.get(a.actor, m.id)).nextDeadlineAt).toEqual(u.nextDeadlineAt);
    expect(wakes).toEqual([{ kind: 'monitor', shard: m.shard, at: u.nextDeadlineAt }]);
    // A rename moves nothing.
    const renamed = await t.core.monitors.update(a.actor, m.id, { name: 'renamed' });
    expect(renamed.nextDeadlineAt).toEqual(u.nextDeadlineAt);
  });

  it('take an alert policy: after N failures needs its N, other policies drop it', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60, alertPolicy: 'after_failures', alertAfterFailures: 3 });
    expect(m).toMatchObject({ alertPolicy: 'after_failures', alertAfterFailures: 3, alertWebhookFormat: 'auto' });
    expect(await t.core.monitors.update(a.actor, m.id, { alertPolicy: 'every_failure' })).toMatchObject({ alertPolicy: 'every_failure', alertAfterFailures: null });
    const err = await rejectionOf(t.core.monitors.update(a.actor, m.id, { alertPolicy: 'after_failures' }));
    expect([err.field, err.message]).toEqual(['alert_after_failures', "alert_after_failures: is required when alert_policy is 'after_failures'"]);
    expect((await rejectionOf(t.core.monitors.create(a.actor, { periodSeconds: 60, alertPolicy: 'loud' as never }))).field).toBe('alert_policy');
    expect((await rejectionOf(t.core.monitors.create(a.actor, { periodSeconds: 60, alertWebhookFormat: 'teams' as never }))).field).toBe('alert_webhook_format');
  });
});
