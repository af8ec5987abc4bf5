import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import { NotFoundError, PermissionDeniedError } from '../../../server/core/errors.js';
import type { Actor, Principal } from '../../../server/core/types.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { insertExecution } from '../../e2e/trpc/harness.js';

/**
 * A schedule's heartbeat (server/core/schedules/heartbeat.ts): a monitor that belongs to the
 * schedule, expected on its trigger, changed with it and deleted with it, under the schedule's
 * scopes. Also the cross-project schedule reads a surface without a project in its paths needs.
 */
let t: TestCore;
let a: TestTenant;
const clock = new ManualClock(new Date('2026-05-01T10:00:00Z'));

async function keyWith(tenant: TestTenant, scopes: string[], projectId?: string): Promise<Principal> {
  const { secret } = await t.core.keys.create(tenant.principal, { name: scopes.join(' '), scopes: scopes as never, projectId });
  return t.core.authenticate(secret);
}

beforeAll(async () => {
  t = await createTestCore({ clock, publicUrl: 'https://tock.example' });
  a = await t.tenant('a');
});
afterAll(() => t.close());

describe("a schedule's heartbeat", () => {
  it('is a monitor on the schedule’s cron and time zone with the given grace, linked to it', async () => {
    const s = await t.core.schedules.create(
      a.actor,
      { name: 'Nightly backup', url: 'https://example.com/backup', cron: '0 3 * * *', timezone: 'Europe/Riga' },
      { heartbeat: { graceSeconds: 300 } },
    );
    const beats = await t.core.schedules.heartbeats(a.actor, [s.id]);
    const m = beats.get(s.id)!;
    expect(m).toMatchObject({ scheduleId: s.id, name: 'Nightly backup', cron: '0 3 * * *', timezone: 'Europe/Riga', periodSeconds: null, graceSeconds: 300, status: 'new' });
    expect(await t.core.monitors.get(a.actor, m.id)).toMatchObject({ id: m.id, scheduleId: s.id });
    expect(t.core.monitors.pingUrl(m)).toMatch(/^https:\/\/tock\.example\/ping\/[0-9A-Za-z]{24}$/);
  });

  it('is made with write:jobs alone, without any monitor scope', async () => {
    const jobsOnly = await t.core.actor(await keyWith(a, ['write:jobs']));
    const s = await t.core.schedules.create(jobsOnly, { url: 'https://example.com/x', cron: '*/5 * * * *' }, { heartbeat: { graceSeconds: 60 } });
    expect((await t.core.schedules.heartbeats(jobsOnly, [s.id])).get(s.id)).toMatchObject({ cron: '*/5 * * * *', graceSeconds: 60 });
    await expect(t.core.monitors.list(jobsOnly)).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('with a bad grace is refused before anything is stored', async () => {
    const before = await t.database.db.execute<{ n: string }>('select count(*)::int as n from schedules');
    const err = await rejectionOf(t.core.schedules.create(a.actor, { url: 'https://example.com/y', cron: '* * * * *' }, { heartbeat: { graceSeconds: -5 } }));
    expect(err).toMatchObject({ code: 'invalid_argument', field: 'grace_seconds' });
    expect(await t.database.db.execute('select count(*)::int as n from schedules')).toEqual(before);

    const s = await t.core.schedules.create(a.actor, { url: 'https://example.com/z', cron: '* * * * *' });
    const refused = await rejectionOf(t.core.schedules.update(a.actor, s.id, { cron: '0 * * * *' }, { heartbeat: { graceSeconds: 1.5 } }));
    expect(refused).toMatchObject({ field: 'grace_seconds' });
    expect((await t.core.schedules.get(a.actor, s.id)).cron).toBe('* * * * *');
    expect((await t.core.schedules.heartbeats(a.actor, [s.id])).size).toBe(0);
  });

  it('follows the schedule’s name and trigger, takes a new grace, and goes when set to null', async () => {
    const s = await t.core.schedules.create(a.actor, { name: 'sync', url: 'https://example.com/sync', cron: '*/5 * * * *' }, { heartbeat: { graceSeconds: 300 } });
    const first = (await t.core.schedules.heartbeats(a.actor, [s.id])).get(s.id)!;

    await t.core.schedules.update(a.actor, s.id, { name: 'hourly sync', cron: '0 * * * *', timezone: 'America/New_York' });
    expect((await t.core.schedules.heartbeats(a.actor, [s.id])).get(s.id)).toMatchObject({
      id: first.id,
      name: 'hourly sync',
      cron: '0 * * * *',
      timezone: 'America/New_York',
      graceSeconds: 300,
    });

    await t.core.schedules.update(a.actor, s.id, { intervalSeconds: 120 }, { heartbeat: { graceSeconds: 600 } });
    expect((await t.core.schedules.heartbeats(a.actor, [s.id])).get(s.id)).toMatchObject({ id: first.id, cron: null, periodSeconds: 120, graceSeconds: 600 });

    await t.core.schedules.update(a.actor, s.id, {}, { heartbeat: null });
    expect((await t.core.schedules.heartbeats(a.actor, [s.id])).size).toBe(0);
    await expect(t.core.monitors.get(a.actor, first.id)).rejects.toBeInstanceOf(NotFoundError);

    await t.core.schedules.update(a.actor, s.id, {}, { heartbeat: { graceSeconds: 30 } });
    const again = (await t.core.schedules.heartbeats(a.actor, [s.id])).get(s.id)!;
    expect(again.id).not.toBe(first.id);
    expect(again).toMatchObject({ periodSeconds: 120, graceSeconds: 30, status: 'new' });
  });

  it('goes with its schedule, with its pings and flips', async () => {
    const s = await t.core.schedules.create(a.actor, { url: 'https://example.com/gone', cron: '* * * * *' }, { heartbeat: { graceSeconds: 10 } });
    const m = (await t.core.schedules.heartbeats(a.actor, [s.id])).get(s.id)!;
    await t.core.monitors.pingByToken(m.pingToken);
    expect(await t.database.db.execute('select id from flips where subject_id = ?', [m.id])).toHaveLength(1);
    await t.core.schedules.delete(a.actor, s.id);
    expect(await t.database.db.execute('select id from monitors where id = ?', [m.id])).toHaveLength(0);
    expect(await t.database.db.execute('select id from pings where monitor_id = ?', [m.id])).toHaveLength(0);
    expect(await t.database.db.execute('select id from flips where subject_id = ?', [m.id])).toHaveLength(0);
  });

  it("of another account's schedule is never returned", async () => {
    const b = await t.tenant('b');
    const theirs = await t.core.schedules.create(b.actor, { url: 'https://example.com/b', cron: '* * * * *' }, { heartbeat: { graceSeconds: 10 } });
    expect((await t.core.schedules.heartbeats(a.actor, [theirs.id])).size).toBe(0);
    expect((await t.core.schedules.heartbeats(a.principal, [theirs.id])).size).toBe(0);
    expect((await t.core.schedules.heartbeats(b.principal, [theirs.id])).size).toBe(1);
  });
});

describe('deleting a schedule', () => {
  async function withHistory(actor: Actor) {
    const s = await t.core.schedules.create(actor, { url: 'https://example.com/h', cron: '0 0 1 1 *' });
    const done = await t.core.schedules.trigger(actor, s.id);
    await t.database.db.execute(`update jobs set status = 'succeeded', next_attempt_at = null, finished_at = now() where id = ?`, [done.id]);
    const execution = await insertExecution(t, done, 1);
    const pending = await t.core.schedules.trigger(actor, s.id);
    return { s, done, execution, pending };
  }

  it('keeps its history by default and cancels the runs not sent', async () => {
    const { s, done, execution, pending } = await withHistory(a.actor);
    await t.core.schedules.delete(a.actor, s.id);
    expect(await t.core.jobs.get(a.actor, done.id)).toMatchObject({ status: 'succeeded', scheduleId: null });
    expect(await t.database.db.execute('select id from executions where id = ?', [execution])).toHaveLength(1);
    expect((await t.core.jobs.get(a.actor, pending.id)).status).toBe('cancelled');
  });

  it('with history takes its jobs and their executions along', async () => {
    const { s, done, execution, pending } = await withHistory(a.actor);
    await t.core.schedules.delete(a.actor, s.id, { history: true });
    await expect(t.core.jobs.get(a.actor, done.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.core.jobs.get(a.actor, pending.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await t.database.db.execute('select id from executions where id = ?', [execution])).toHaveLength(0);
  });
});

describe('schedules across projects', () => {
  it('are listed for every project an account key reaches, and only its own for a project key', async () => {
    const c = await t.tenant('c');
    const second = await t.core.projects.create(c.principal, { name: 'second' });
    const inFirst = await t.core.schedules.create(c.actor, { url: 'https://example.com/1', cron: '* * * * *' });
    const inSecond = await t.core.schedules.create(await t.core.actor(c.principal, second.id), { url: 'https://example.com/2', cron: '* * * * *' });
    await t.core.schedules.create(a.actor, { url: 'https://example.com/other-tenant', cron: '* * * * *' });

    expect((await t.core.schedules.listAcross(c.principal)).items.map((s) => s.id)).toEqual([inFirst.id, inSecond.id]);
    const limited = await keyWith(c, ['read:jobs'], second.id);
    expect((await t.core.schedules.listAcross(limited)).items.map((s) => s.id)).toEqual([inSecond.id]);
    const pages = await t.core.schedules.listAcross(c.principal, { pageSize: 1 });
    expect(pages.items.map((s) => s.id)).toEqual([inFirst.id]);
    expect((await t.core.schedules.listAcross(c.principal, { pageSize: 1, pageToken: pages.nextPageToken })).items.map((s) => s.id)).toEqual([inSecond.id]);
    await expect(t.core.schedules.listAcross(await keyWith(c, ['read:projects']))).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('are found in their project by id only by keys that reach it', async () => {
    const d = await t.tenant('d');
    const second = await t.core.projects.create(d.principal, { name: 'second' });
    const s = await t.core.schedules.create(await t.core.actor(d.principal, second.id), { url: 'https://example.com/3', cron: '* * * * *' });
    expect(await t.core.schedules.projectOf(d.principal, s.id)).toBe(second.id);
    await expect(t.core.schedules.projectOf(await keyWith(d, ['*'], d.projectId), s.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.core.schedules.projectOf(a.principal, s.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.core.schedules.projectOf(d.principal, 'sched_nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});
