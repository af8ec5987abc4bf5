import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import type { Alert, Monitor, MonitorAlertPayload } from '../../../server/core/types.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

let t: TestCore;
let a: TestTenant;
const clock = new ManualClock(new Date('2026-05-01T10:00:00Z'));

const SLACK = 'https://hooks.slack.com/services/T000/B000/XXXX';
const DISCORD = 'https://discord.com/api/webhooks/123/abc';

beforeAll(async () => {
  t = await createTestCore({ clock, publicUrl: 'https://tock.example' });
  a = await t.tenant('a');
  // Project notifications: the same address as the monitor's (in another case) is one receiver.
  await t.core.projects.update(a.principal, a.projectId, { notifyEmail: 'OPS@example.com', notifyWebhookUrl: DISCORD });
});
afterAll(() => t.close());

async function upMonitor(over: Record<string, unknown> = {}): Promise<Monitor> {
  const m = await t.core.monitors.create(a.actor, { periodSeconds: 60, graceSeconds: 10, alertEmail: 'ops@example.com', alertWebhook: SLACK, ...over });
  return t.core.monitors.pingByToken(m.pingToken);
}

const alertsOf = async (id: string): Promise<Alert[]> => (await t.core.alerts.list(a.actor, 'monitor', id, { pageSize: 200 })).items;
const flipsOf = async (id: string) => (await t.core.alerts.listFlips(a.actor, 'monitor', id)).items;

describe('a missed deadline', () => {
  it('is decided by exactly one of two concurrent callers: one flip, one monitor.down per channel', async () => {
    const m = await upMonitor();
    const deadline = m.nextDeadlineAt!;
    clock.set(deadline.getTime() + 500);
    const results = await Promise.all([1, 2].map(() => t.core.monitorDeadlines.markOneDownIfLate(m.id, deadline)));
    expect(results.filter(Boolean)).toHaveLength(1);

    expect((await t.core.monitors.get(a.actor, m.id)).status).toBe('down');
    const flips = await flipsOf(m.id);
    expect(flips.map((f) => `${f.fromStatus}->${f.toStatus} ${f.reason}`)).toEqual(['up->down missed_deadline', 'new->up first_ping']);
    const alerts = await alertsOf(m.id);
    expect(alerts.map((x) => [x.event, x.channel, x.target, x.format]).sort()).toEqual([
      ['monitor.down', 'email', 'ops@example.com', 'email'],
      ['monitor.down', 'webhook', DISCORD, 'discord'],
      ['monitor.down', 'webhook', SLACK, 'slack'],
    ]);
    for (const x of alerts) {
      expect(x).toMatchObject({ shard: m.shard, status: 'pending', attempts: 0, subjectType: 'monitor', subjectId: m.id, changeId: flips[0].id });
      const p = x.payload as MonitorAlertPayload;
      expect(p).toMatchObject({ event: 'monitor.down', reason: 'missed_deadline', link: `https://tock.example/monitors/${m.id}`, ping: null });
      expect(p.monitor).toMatchObject({ id: m.id, status: 'down', missedDeadlineAt: deadline.toISOString(), failureStreak: 1 });
      expect(p.error).toBe(`No ping since ${m.lastPingAt!.toISOString()}; expected by ${deadline.toISOString()}`);
    }
  });

  it('is not decided before it passes', async () => {
    const m = await upMonitor();
    clock.set(m.nextDeadlineAt!.getTime() - 1);
    expect(await t.core.monitorDeadlines.markOneDownIfLate(m.id, m.nextDeadlineAt!)).toBe(false);
    expect((await t.core.monitors.get(a.actor, m.id)).status).toBe('up');
  });

  it('loses to a ping that moved it: nothing changes', async () => {
    const m = await upMonitor();
    clock.set(m.nextDeadlineAt!.getTime() - 1000);
    await t.core.monitors.pingByToken(m.pingToken);
    clock.set(m.nextDeadlineAt!.getTime() + 1000);
    expect(await t.core.monitorDeadlines.markOneDownIfLate(m.id, m.nextDeadlineAt!)).toBe(false);
    expect((await t.core.monitors.get(a.actor, m.id)).status).toBe('up');
    expect(await alertsOf(m.id)).toEqual([]);
  });

  it('racing a ping: either the ping wins and nothing is alerted, or it goes down and the ping brings it back up', async () => {
    for (let i = 0; i < 5; i++) {
      const m = await upMonitor();
      clock.set(m.nextDeadlineAt!.getTime() + 1);
      const [late] = await Promise.all([t.core.monitorDeadlines.markOneDownIfLate(m.id, m.nextDeadlineAt!), t.core.monitors.pingByToken(m.pingToken)]);
      expect((await t.core.monitors.get(a.actor, m.id)).status).toBe('up');
      const events = (await alertsOf(m.id)).map((x) => x.event);
      const flips = (await flipsOf(m.id)).map((f) => f.toStatus);
      if (late) {
        expect(flips).toEqual(['up', 'down', 'up']);
        expect(events.filter((e) => e === 'monitor.down')).toHaveLength(3);
        expect(events.filter((e) => e === 'monitor.up')).toHaveLength(3);
      } else {
        expect(flips).toEqual(['up']);
        expect(events).toEqual([]);
      }
    }
  });

  it('is followed by one monitor.up per channel on the next success', async () => {
    const m = await upMonitor();
    clock.set(m.nextDeadlineAt!.getTime());
    expect(await t.core.monitorDeadlines.markOneDownIfLate(m.id, m.nextDeadlineAt!)).toBe(true);
    clock.advance(30_000);
    const back = await t.core.monitors.pingByToken(m.pingToken, 'success', { body: 'ok again' });
    expect(back.status).toBe('up');
    const ups = (await alertsOf(m.id)).filter((x) => x.event === 'monitor.up');
    expect(ups.map((x) => x.target).sort()).toEqual([DISCORD, SLACK, 'ops@example.com'].sort());
    expect(ups[0].payload).toMatchObject({ event: 'monitor.up', reason: 'ping', error: null, ping: { kind: 'success', body: 'ok again' } });
  });

  it('of a start without a success within grace counts as late', async () => {
    const m = await upMonitor();
    clock.advance(1000);
    const started = await t.core.monitors.pingByToken(m.pingToken, 'start');
    expect(started.nextDeadlineAt).toEqual(new Date(clock.now().getTime() + 10_000));
    clock.advance(10_000);
    expect(await t.core.monitorDeadlines.markOneDownIfLate(m.id, started.nextDeadlineAt!)).toBe(true);
    const [flip] = await flipsOf(m.id);
    expect(flip).toMatchObject({ fromStatus: 'up', toStatus: 'down', reason: 'late_start' });
  });

  it('under every failure: each missed period alerts again, each decided once', async () => {
    const m = await upMonitor({ alertPolicy: 'every_failure', alertEmail: null, alertWebhook: null });
    let deadline = m.nextDeadlineAt!;
    for (let i = 0; i < 3; i++) {
      clock.set(deadline);
      expect(await t.core.monitorDeadlines.markOneDownIfLate(m.id, deadline)).toBe(true);
      expect(await t.core.monitorDeadlines.markOneDownIfLate(m.id, deadline)).toBe(false);
      const now = await t.core.monitors.get(a.actor, m.id);
      expect(now.failureStreak).toBe(i + 1);
      deadline = now.nextDeadlineAt!;
      expect(deadline.getTime() - clock.now().getTime()).toBe(60_000);
    }
    const downs = await alertsOf(m.id);
    // Two project channels, three misses; one flip only.
    expect(downs).toHaveLength(6);
    expect(new Set(downs.map((x) => x.changeId)).size).toBe(3);
    expect((await flipsOf(m.id)).map((f) => f.toStatus)).toEqual(['down', 'up']);
  });

  it('for many monitors at once: the due ones of the given shards, each decided', async () => {
    const ms = await Promise.all([1, 2, 3].map(() => upMonitor({ alertEmail: null, alertWebhook: null })));
    const latest = Math.max(...ms.map((m) => m.nextDeadlineAt!.getTime()));
    clock.set(latest);
    const due = await t.core.monitorDeadlines.due([...new Set(ms.map((m) => m.shard))], clock.now(), 1000);
    const mine = due.filter((d) => ms.some((m) => m.id === d.id));
    expect(mine.map((d) => d.id).sort()).toEqual(ms.map((m) => m.id).sort());
    for (const d of mine) expect(d.deadlineMs).toBe(ms.find((m) => m.id === d.id)!.nextDeadlineAt!.getTime());
    const won = await t.core.monitorDeadlines.markDownIfLate(mine.map((d) => ({ monitorId: d.id, deadline: new Date(d.deadlineMs) })));
    expect([...won].sort()).toEqual(ms.map((m) => m.id).sort());
    for (const m of ms) expect((await t.core.monitors.get(a.actor, m.id)).status).toBe('down');
    // Down monitors under "on change" have nothing more due.
    const after = await t.core.monitorDeadlines.due([...new Set(ms.map((m) => m.shard))], new Date(latest + 86_400_000), 1000);
    expect(after.filter((d) => ms.some((m) => m.id === d.id))).toEqual([]);
  });

  it('of a paused monitor does not exist', async () => {
    const m = await upMonitor();
    await t.core.monitors.pause(a.actor, m.id);
    clock.set(m.nextDeadlineAt!.getTime() + 1);
    expect(await t.core.monitorDeadlines.markOneDownIfLate(m.id, m.nextDeadlineAt!)).toBe(false);
    expect((await t.core.monitors.get(a.actor, m.id)).status).toBe('paused');
  });
});

describe('alert and flip lists', () => {
  it('answer not found for another tenant and refuse unknown subject types', async () => {
    const m = await upMonitor();
    const b = await t.tenant('b');
    await expect(t.core.alerts.list(b.actor, 'monitor', m.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(t.core.alerts.listFlips(b.actor, 'monitor', m.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(t.core.alerts.list(a.actor, 'account' as never, m.id)).rejects.toMatchObject({ code: 'invalid_argument', field: 'subject_type' });
  });
});
