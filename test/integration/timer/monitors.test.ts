import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCore } from '../../../server/core/index.js';
import type { Alert, Monitor } from '../../../server/core/types.js';
import { createNotifyWaker, type RunningScheduler } from '../../../server/timer/index.js';
import { LOOPBACK_TARGETS } from '../../helpers/core.js';
import { timerWorld, until, type TimerWorld } from './harness.js';

/**
 * Monitor deadlines on a running node, in real time. The node refills by itself only once, at
 * start (a long refill interval and horizon): a deadline reaches its queue only through the wake
 * of the ping that set it.
 */

const SLACK = 'https://hooks.slack.com/services/T000/B000/XXXX';
const postgres = inject('dbMode') === 'postgres';
let w: TimerWorld;
let node: RunningScheduler;

beforeAll(async () => {
  w = await timerWorld();
  node = await w.node({ horizonMs: 120_000, refillIntervalMs: 100_000 }, 'monitors');
});
afterAll(async () => {
  await w?.close();
});

const monitor = (over: Record<string, unknown> = {}): Promise<Monitor> =>
  w.t.core.monitors.create(w.tenant.actor, { periodSeconds: 1, graceSeconds: 1, alertEmail: 'ops@example.com', alertWebhook: SLACK, ...over });
const get = (m: Monitor) => w.t.core.monitors.get(w.tenant.actor, m.id);
const flips = async (m: Monitor) => (await w.t.core.alerts.listFlips(w.tenant.actor, 'monitor', m.id)).items;
const alerts = async (m: Monitor): Promise<Alert[]> => (await w.t.core.alerts.list(w.tenant.actor, 'monitor', m.id, { pageSize: 100 })).items;
const events = async (m: Monitor) => (await alerts(m)).map((x) => `${x.event} ${x.channel}`).sort();
const statusIs = (m: Monitor, status: string) => async () => (await get(m)).status === status;

describe('a running node', () => {
  it('turns a monitor pinged once (period 1 s, grace 1 s) down after its deadline, with one flip and one monitor.down per channel; the next ping brings it up with one monitor.up per channel', async () => {
    const m = await monitor();
    const up = await w.t.core.monitors.pingByToken(m.pingToken);
    const deadline = up.nextDeadlineAt!.getTime();
    await until(statusIs(m, 'down'), { timeoutMs: 10_000, message: 'the monitor did not go down' });

    const down = await get(m);
    expect(down.nextDeadlineAt).toBeNull();
    const [flip] = await flips(m);
    expect(`${flip.fromStatus}->${flip.toStatus} ${flip.reason}`).toBe('up->down missed_deadline');
    // Decided after the deadline, never before it.
    expect(flip.at.getTime()).toBeGreaterThanOrEqual(deadline);
    console.info(`[timer] monitor deadline decided ${flip.at.getTime() - deadline} ms after it passed`);
    expect(await events(m)).toEqual(['monitor.down email', 'monitor.down webhook']);

    expect((await w.t.core.monitors.pingByToken(m.pingToken)).status).toBe('up');
    // Paused before its next deadline, so what follows is all this ping caused.
    await w.t.core.monitors.pause(w.tenant.actor, m.id);
    expect((await flips(m)).map((f) => `${f.fromStatus}->${f.toStatus}`)).toEqual(['up->paused', 'down->up', 'up->down', 'new->up']);
    expect(await events(m)).toEqual(['monitor.down email', 'monitor.down webhook', 'monitor.up email', 'monitor.up webhook']);
    expect((await node.stats()).monitorDeadlines).toBeGreaterThanOrEqual(1);
  });

  it('never turns a paused monitor down, while one pinged at the same time and left running goes down', async () => {
    const paused = await monitor();
    const control = await monitor();
    await w.t.core.monitors.pingByToken(paused.pingToken);
    await w.t.core.monitors.pingByToken(control.pingToken);
    await w.t.core.monitors.pause(w.tenant.actor, paused.id);
    await until(statusIs(control, 'down'), { timeoutMs: 10_000, message: 'the control monitor did not go down' });
    expect((await get(paused)).status).toBe('paused');
    expect((await flips(paused)).map((f) => f.toStatus)).toEqual(['paused', 'up']);
    expect(await alerts(paused)).toHaveLength(0);
  });

  it('turns a monitor whose run started and did not report within grace down as late', async () => {
    const m = await monitor({ periodSeconds: 60 });
    await w.t.core.monitors.pingByToken(m.pingToken);
    const started = await w.t.core.monitors.pingByToken(m.pingToken, 'start');
    await until(statusIs(m, 'down'), { timeoutMs: 10_000, message: 'the started monitor did not go down' });
    const [flip] = await flips(m);
    expect(flip.reason).toBe('late_start');
    expect(flip.at.getTime()).toBeGreaterThanOrEqual(started.nextDeadlineAt!.getTime());
    expect(await events(m)).toEqual(['monitor.down email', 'monitor.down webhook']);
  });

  it('learns of a deadline an update moved earlier from the wake of that update', async () => {
    const m = await monitor({ periodSeconds: 60 });
    const pinged = await w.t.core.monitors.pingByToken(m.pingToken);
    const updated = await w.t.core.monitors.update(w.tenant.actor, m.id, { periodSeconds: 1 });
    expect(updated.nextDeadlineAt!.getTime()).toBe(pinged.lastPingAt!.getTime() + 2_000);
    await until(statusIs(m, 'down'), { timeoutMs: 10_000, message: 'the updated monitor did not go down' });
    const [flip] = await flips(m);
    expect(flip.at.getTime()).toBeGreaterThanOrEqual(updated.nextDeadlineAt!.getTime());
    expect(flip.at.getTime()).toBeLessThan(pinged.nextDeadlineAt!.getTime());
  });

  it.skipIf(!postgres)('learns of a deadline set by a ping on an API-only node through NOTIFY alone', async () => {
    const inProcess = [...w.wakers];
    w.wakers.length = 0;
    try {
      const api = createCore({ db: w.db, waker: createNotifyWaker(w.db), publicUrl: 'http://tock.test', allowTargets: LOOPBACK_TARGETS });
      const m = await api.monitors.create(w.tenant.actor, { periodSeconds: 1, graceSeconds: 1, alertWebhook: SLACK });
      await api.monitors.pingByToken(m.pingToken);
      await until(statusIs(m, 'down'), { timeoutMs: 10_000, message: 'the monitor pinged on the API-only node did not go down' });
      expect(await events(m)).toEqual(['monitor.down webhook']);
    } finally {
      w.wakers.push(...inProcess);
    }
  });
});
