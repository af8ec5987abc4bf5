import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import { NotFoundError } from '../../../server/core/errors.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

let t: TestCore;
let a: TestTenant;
const clock = new ManualClock(new Date('2026-05-01T10:00:00Z'));

beforeAll(async () => {
  t = await createTestCore({ clock, publicUrl: 'https://tock.example' });
  a = await t.tenant('a');
});
afterAll(() => t.close());

describe('monitors', () => {
  it('are created new, with a secret ping URL', async () => {
    const m = await t.core.monitors.create(a.actor, { name: 'backup', periodSeconds: 3600, graceSeconds: 300 });
    expect(m).toMatchObject({ status: 'new', periodSeconds: 3600, graceSeconds: 300, pingCount: 0, lastPingAt: null });
    expect(m.id).toMatch(/^mon_/);
    expect(t.core.monitors.pingUrl(m)).toMatch(/^https:\/\/tock\.example\/ping\/[0-9A-Za-z]{24}$/);
    expect(await t.core.monitors.get(a.actor, m.id)).toMatchObject({ name: 'backup', pingToken: m.pingToken });
  });

  it.each([
    [{ name: 'x' }, 'invalid_argument', 'period_seconds', 'Set period_seconds or cron'],
    [{ cron: '* * *' }, 'invalid_cron', 'cron', "Invalid cron expression: '* * *'"],
    [{ cron: '0 * * * *', timezone: 'Atlantis' }, 'invalid_timezone', 'timezone', "Unknown time zone 'Atlantis'"],
    [{ periodSeconds: 60, graceSeconds: -1 }, 'invalid_argument', 'grace_seconds', 'must be 0 or more'],
    [{ periodSeconds: 60, alertEmail: 'not-an-email' }, 'invalid_argument', 'alert_email', 'must be an email address'],
    [{ periodSeconds: 60, cron: '* * * * *' }, 'invalid_argument', 'cron', 'not both'],
  ])('reject %j with %s', async (input, code, field, message) => {
    const err = await rejectionOf(t.core.monitors.create(a.actor, input as never));
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });

  it('go up on a success ping with a deadline of period + grace, and down on a fail ping', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60, graceSeconds: 30 });
    const up = await t.core.monitors.recordPing(a.actor, m.id, 'success');
    expect(up.status).toBe('up');
    expect(up.pingCount).toBe(1);
    expect(up.nextDeadlineAt?.getTime()).toBe(clock.now().getTime() + 90_000);
    const started = await t.core.monitors.pingByToken(m.pingToken, 'start');
    expect(started).toMatchObject({ status: 'up', pingCount: 2 });
    expect(started.lastStartAt?.getTime()).toBe(clock.now().getTime());
    const down = await t.core.monitors.pingByToken(m.pingToken, 'fail', { body: 'disk full', sourceIp: '10.0.0.1' });
    expect(down).toMatchObject({ status: 'down', pingCount: 3, nextDeadlineAt: null });
    const stored = await t.core.monitors.get(a.actor, m.id);
    expect(stored).toMatchObject({ status: 'down', pingCount: 3 });
    const pings = await t.database.db.execute<{ kind: string; body: string | null }>('select kind, body from pings where monitor_id = ? order by id', [m.id]);
    expect(pings).toEqual([
      { kind: 'success', body: null },
      { kind: 'start', body: null },
      { kind: 'fail', body: 'disk full' },
    ]);
  });

  it('count concurrent pings exactly', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    await Promise.all(Array.from({ length: 20 }, () => t.core.monitors.pingByToken(m.pingToken)));
    expect((await t.core.monitors.get(a.actor, m.id)).pingCount).toBe(20);
  });

  it('use the cron schedule for the deadline when they have one', async () => {
    const m = await t.core.monitors.create(a.actor, { cron: '0 * * * *', graceSeconds: 120 });
    const up = await t.core.monitors.recordPing(a.actor, m.id);
    expect(up.nextDeadlineAt?.toISOString()).toBe('2026-05-01T11:02:00.000Z');
  });

  it('pause, ignore deadlines, and resume waiting for the next ping', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    await t.core.monitors.recordPing(a.actor, m.id);
    const p = await t.core.monitors.pause(a.actor, m.id);
    expect(p).toMatchObject({ status: 'paused', nextDeadlineAt: null });
    const r = await t.core.monitors.resume(a.actor, m.id);
    expect(r.status).toBe('new');
  });

  it('update and delete', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    const u = await t.core.monitors.update(a.actor, m.id, { cron: '*/10 * * * *', name: 'renamed' });
    expect(u).toMatchObject({ cron: '*/10 * * * *', periodSeconds: null, name: 'renamed' });
    await t.core.monitors.delete(a.actor, m.id);
    await expect(t.core.monitors.get(a.actor, m.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuse pings with an unknown token or kind', async () => {
    await expect(t.core.monitors.pingByToken('x'.repeat(24))).rejects.toBeInstanceOf(NotFoundError);
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    expect((await rejectionOf(t.core.monitors.recordPing(a.actor, m.id, 'boom' as never))).field).toBe('kind');
  });

  it('refuse an unknown ping kind before looking the monitor up (a bad request, whatever the id)', async () => {
    expect(await rejectionOf(t.core.monitors.recordPing(a.actor, 'mon_00000000000000000000000000', 'boom' as never))).toMatchObject({ code: 'invalid_argument', field: 'kind' });
    expect(await rejectionOf(t.core.monitors.pingByToken('x'.repeat(24), 'boom' as never))).toMatchObject({ code: 'invalid_argument', field: 'kind' });
  });

  it('list in creation order with pages', async () => {
    const b = await t.tenant('b');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await t.core.monitors.create(b.actor, { periodSeconds: 60 })).id);
    const p1 = await t.core.monitors.list(b.actor, { pageSize: 2 });
    const p2 = await t.core.monitors.list(b.actor, { pageSize: 2, pageToken: p1.nextPageToken });
    expect([...p1.items, ...p2.items].map((m) => m.id)).toEqual(ids);
  });
});
