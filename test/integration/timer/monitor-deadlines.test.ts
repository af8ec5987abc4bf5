import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import type { Alert, Monitor, MonitorAlertPayload } from '../../../server/core/types.js';
import type { Scheduler } from '../../../server/timer/index.js';
import { timerWorld, type TimerWorld } from './harness.js';

/**
 * Monitor deadlines as the timer's due work, driven step by step: one node whose loops do not
 * run, its clock and the core's one injected clock. Each monitor alerts by email and webhook.
 */

const SLACK = 'https://hooks.slack.com/services/T000/B000/XXXX';
const clock = new ManualClock(Date.now());
let w: TimerWorld;
let n: Scheduler;

beforeAll(async () => {
  w = await timerWorld({ clock });
  n = w.manual({ clock }, 'deadlines');
  await n.leaseStep();
});
afterAll(async () => {
  await n?.stop(500);
  await w?.close();
});

const monitor = (over: Record<string, unknown> = {}): Promise<Monitor> =>
  w.t.core.monitors.create(w.tenant.actor, { periodSeconds: 1, graceSeconds: 1, alertEmail: 'ops@example.com', alertWebhook: SLACK, ...over });
const ping = (m: Monitor, kind: 'success' | 'start' | 'fail' = 'success') => w.t.core.monitors.pingByToken(m.pingToken, kind);
const status = async (m: Monitor) => (await w.t.core.monitors.get(w.tenant.actor, m.id)).status;
const flips = async (m: Monitor) => (await w.t.core.alerts.listFlips(w.tenant.actor, 'monitor', m.id)).items.map((f) => `${f.fromStatus}->${f.toStatus} ${f.reason}`);
const alerts = async (m: Monitor): Promise<Alert[]> => (await w.t.core.alerts.list(w.tenant.actor, 'monitor', m.id, { pageSize: 100 })).items;
const channels = (xs: Alert[], event: string) =>
  xs
    .filter((x) => x.event === event)
    .map((x) => `${x.channel} ${x.format} ${x.target}`)
    .sort();
const claimAt = (ms: number) => {
  clock.set(ms);
  return n.claimStep(new Date(ms));
};

describe('a monitor deadline on the timer (injected clock)', () => {
  it('goes down once its deadline has passed and not before: one flip and one monitor.down per channel; the next ping brings it up with one monitor.up per channel', async () => {
    const m = await monitor();
    const up = await ping(m);
    const deadline = up.nextDeadlineAt!.getTime();
    expect(deadline).toBe(clock.now().getTime() + 2_000);
    await n.refillStep([m.shard]);
    expect(n.queue.has('monitor', m.id)).toBe(true);

    // A claim step just before the deadline takes it with its batch window, and puts it back.
    await claimAt(deadline - 1);
    expect(await status(m)).toBe('up');
    expect(n.queue.has('monitor', m.id)).toBe(true);

    const before = (await n.stats()).monitorDeadlines;
    const res = await claimAt(deadline);
    expect(res).toMatchObject({ claimed: 1, jobs: 0, lostRaces: 0 });
    expect((await n.stats()).monitorDeadlines).toBe(before + 1);
    const down = await w.t.core.monitors.get(w.tenant.actor, m.id);
    expect(down.status).toBe('down');
    // Nothing more is due under the default policy (alert on change).
    expect(down.nextDeadlineAt).toBeNull();
    expect(await flips(m)).toEqual(['up->down missed_deadline', 'new->up first_ping']);
    const downAlerts = await alerts(m);
    expect(channels(downAlerts, 'monitor.down')).toEqual(['email email ops@example.com', `webhook slack ${SLACK}`]);
    expect(downAlerts).toHaveLength(2);
    for (const x of downAlerts) {
      expect((x.payload as MonitorAlertPayload).monitor.missedDeadlineAt).toBe(new Date(deadline).toISOString());
      expect(x.payload).toMatchObject({ reason: 'missed_deadline', at: new Date(deadline).toISOString() });
    }

    // Later steps find nothing more to decide.
    await n.refillStep([m.shard]);
    expect(n.queue.has('monitor', m.id)).toBe(false);
    await claimAt(deadline + 10_000);
    expect(await alerts(m)).toHaveLength(2);

    clock.advance(500);
    expect((await ping(m)).status).toBe('up');
    expect(await flips(m)).toEqual(['down->up ping', 'up->down missed_deadline', 'new->up first_ping']);
    const all = await alerts(m);
    expect(channels(all, 'monitor.up')).toEqual(['email email ops@example.com', `webhook slack ${SLACK}`]);
    expect(all).toHaveLength(4);
    await w.t.core.monitors.pause(w.tenant.actor, m.id);
  });

  it('stays up when a ping arrives just before the deadline, and is decided at the deadline that ping set', async () => {
    const m = await monitor();
    const first = (await ping(m)).nextDeadlineAt!.getTime();
    await n.refillStep([m.shard]);
    clock.set(first - 1);
    const second = (await ping(m)).nextDeadlineAt!.getTime();
    expect(second).toBe(first - 1 + 2_000);

    // The queue still holds the old deadline: its decision loses to the ping and changes nothing.
    const res = await claimAt(first);
    expect(res.claimed).toBe(0);
    expect(res.lostRaces).toBeGreaterThanOrEqual(1);
    expect(await status(m)).toBe('up');
    expect(await flips(m)).toEqual(['new->up first_ping']);
    expect(await alerts(m)).toHaveLength(0);

    // The lost race reloads the shard (as the ping's wake does on a running node): the new deadline is queued.
    await n.refillStep([m.shard]);
    await claimAt(second);
    expect(await status(m)).toBe('down');
    expect(await flips(m)).toEqual(['up->down missed_deadline', 'new->up first_ping']);
    expect(channels(await alerts(m), 'monitor.down')).toHaveLength(2);
    await w.t.core.monitors.pause(w.tenant.actor, m.id);
  });

  it('queues the next deadline of a policy that counts missed periods with the decision itself, and counts the next missed period there', async () => {
    const m = await monitor({ alertPolicy: 'every_failure' });
    const deadline = (await ping(m)).nextDeadlineAt!.getTime();
    await n.refillStep([m.shard]);
    await claimAt(deadline);
    const down = await w.t.core.monitors.get(w.tenant.actor, m.id);
    expect(down).toMatchObject({ status: 'down', failureStreak: 1 });
    const next = down.nextDeadlineAt!.getTime();
    expect(next).toBe(deadline + 1_000);
    // No refill in between: the claim put it back.
    expect(n.queue.has('monitor', m.id)).toBe(true);

    expect((await claimAt(next)).claimed).toBe(1);
    expect(await w.t.core.monitors.get(w.tenant.actor, m.id)).toMatchObject({ status: 'down', failureStreak: 2 });
    expect(await flips(m)).toEqual(['up->down missed_deadline', 'new->up first_ping']);
    expect(channels(await alerts(m), 'monitor.down')).toEqual([
      'email email ops@example.com',
      'email email ops@example.com',
      `webhook slack ${SLACK}`,
      `webhook slack ${SLACK}`,
    ]);
    await w.t.core.monitors.pause(w.tenant.actor, m.id);
  });

  it('never turns a paused monitor down, however long it stays unpinged', async () => {
    const m = await monitor();
    const deadline = (await ping(m)).nextDeadlineAt!.getTime();
    await n.refillStep([m.shard]);
    expect(n.queue.has('monitor', m.id)).toBe(true);
    await w.t.core.monitors.pause(w.tenant.actor, m.id);

    // The entry queued before the pause is decided against the paused row: nothing happens.
    await claimAt(deadline);
    await claimAt(deadline + 60_000);
    await n.refillStep([m.shard]);
    expect(n.queue.has('monitor', m.id)).toBe(false);
    await claimAt(deadline + 3_600_000);
    expect(await status(m)).toBe('paused');
    expect(await flips(m)).toEqual(['up->paused paused', 'new->up first_ping']);
    expect(await alerts(m)).toHaveLength(0);
  });

  it('counts a start without a success within grace as late, before the period deadline', async () => {
    const m = await monitor();
    const periodDeadline = (await ping(m)).nextDeadlineAt!.getTime();
    clock.advance(300);
    const started = await ping(m, 'start');
    const lateAt = started.nextDeadlineAt!.getTime();
    expect(lateAt).toBe(started.lastStartAt!.getTime() + 1_000);
    expect(lateAt).toBeLessThan(periodDeadline);
    await n.refillStep([m.shard]);

    await claimAt(lateAt);
    expect(await status(m)).toBe('down');
    expect(await flips(m)).toEqual(['up->down late_start', 'new->up first_ping']);
    const downAlerts = await alerts(m);
    expect(channels(downAlerts, 'monitor.down')).toHaveLength(2);
    expect(downAlerts.every((x) => (x.payload as MonitorAlertPayload).reason === 'late_start')).toBe(true);
    await w.t.core.monitors.pause(w.tenant.actor, m.id);
  });

  it('keeps a monitor up whose run reports success within grace of its start', async () => {
    const m = await monitor();
    await ping(m);
    clock.advance(300);
    const startDeadline = (await ping(m, 'start')).nextDeadlineAt!.getTime();
    await n.refillStep([m.shard]);
    clock.advance(900);
    const done = await ping(m);
    await claimAt(startDeadline);
    expect(await status(m)).toBe('up');
    expect(await flips(m)).toEqual(['new->up first_ping']);
    expect(done.nextDeadlineAt!.getTime()).toBeGreaterThan(startDeadline);
    await w.t.core.monitors.pause(w.tenant.actor, m.id);
  });
});
