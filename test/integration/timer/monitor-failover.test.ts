import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Monitor } from '../../../server/core/types.js';
import { flakyDatabase } from '../../helpers/outage.js';
import { timerWorld, until, type TimerWorld } from './harness.js';

/**
 * Two running nodes on one database, each with its own pool and its own core (as two processes).
 * The node that owns a monitor's shard dies just before the monitor's deadline: its pool fails
 * every statement from then on and its leases and heartbeat are left to expire (set expired here
 * rather than waited for), without a release.
 */

const SLACK = 'https://hooks.slack.com/services/T000/B000/XXXX';
let w: TimerWorld;

beforeAll(async () => {
  w = await timerWorld();
});
afterAll(async () => {
  await w?.close();
});

async function leaseCounts(): Promise<Map<string, number>> {
  const rows = await w.db.execute<{ owner: string; n: number }>(
    `select owner, count(*)::int as n from shard_leases where owner is not null and expires_at > now() group by owner`,
  );
  return new Map(rows.map((x) => [x.owner, x.n]));
}

describe('the owner of a monitor shard dying just before the deadline', () => {
  it('still gets the monitor down exactly once: one flip and one monitor.down per channel, written by the node that took the shard over', async () => {
    const dying = flakyDatabase(await w.connect());
    const a = await w.node({ leaseTtlMs: 3_000 }, 'A', dying.db);
    const b = await w.node({ leaseTtlMs: 3_000 }, 'B', await w.connect());
    await until(
      async () => {
        const o = await leaseCounts();
        return o.get(a.nodeId) === 128 && o.get(b.nodeId) === 128;
      },
      { timeoutMs: 20_000, message: async () => JSON.stringify(Object.fromEntries(await leaseCounts())) },
    );
    const shardsOfA = new Set(
      (await w.db.execute<{ shard: number }>(`select shard from shard_leases where owner = ?`, [a.nodeId])).map((x) => Number(x.shard)),
    );

    // A monitor on one of A's shards.
    let m: Monitor | null = null;
    for (let i = 0; i < 64 && !m; i++) {
      const c = await w.t.core.monitors.create(w.tenant.actor, { periodSeconds: 1, graceSeconds: 1, alertEmail: 'ops@example.com', alertWebhook: SLACK });
      if (shardsOfA.has(c.shard)) m = c;
      else await w.t.core.monitors.delete(w.tenant.actor, c.id);
    }
    expect(m).not.toBeNull();
    const monitor = m!;

    const up = await w.t.core.monitors.pingByToken(monitor.pingToken);
    const deadline = up.nextDeadlineAt!.getTime();
    // A queued the deadline (woken by the ping); it dies 300 ms before the deadline.
    await until(async () => (await a.stats()).queued >= 1, { message: 'A never queued the deadline' });
    await until(() => Date.now() >= deadline - 300, { timeoutMs: 3_000 });
    dying.setDown(true);
    await w.db.execute(`update shard_leases set expires_at = now() - interval '1 second' where owner = ?`, [a.nodeId]);
    await w.db.execute(`update scheduler_nodes set heartbeat_at = now() - interval '1 hour' where id = ?`, [a.nodeId]);
    const diedAt = Date.now();
    expect(diedAt).toBeLessThan(deadline);

    await until(async () => (await w.t.core.monitors.get(w.tenant.actor, monitor.id)).status === 'down', {
      timeoutMs: 15_000,
      message: async () => `B holds ${(await b.stats()).shards.held} shards`,
    });
    const flips = (await w.t.core.alerts.listFlips(w.tenant.actor, 'monitor', monitor.id)).items;
    expect(flips.map((f) => `${f.fromStatus}->${f.toStatus} ${f.reason}`)).toEqual(['up->down missed_deadline', 'new->up first_ping']);
    expect(flips[0].at.getTime()).toBeGreaterThanOrEqual(deadline);
    const alerts = (await w.t.core.alerts.list(w.tenant.actor, 'monitor', monitor.id, { pageSize: 100 })).items;
    expect(alerts.map((x) => `${x.event} ${x.channel}`).sort()).toEqual(['monitor.down email', 'monitor.down webhook']);
    expect((await b.stats()).monitorDeadlines).toBe(1);
    expect((await a.stats()).monitorDeadlines).toBe(0);
    console.info(`[timer] monitor deadline decided by the survivor ${flips[0].at.getTime() - deadline} ms after it passed`);

    // Nothing more is due: no second decision can follow.
    expect((await w.t.core.monitors.get(w.tenant.actor, monitor.id)).nextDeadlineAt).toBeNull();
    await a.stop(300);
  });
});
