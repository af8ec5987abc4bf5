import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCore } from '../../../server/core/index.js';
import { createNotifyWaker } from '../../../server/timer/index.js';
import { LOOPBACK_TARGETS } from '../../helpers/core.js';
import { flakyDatabase } from '../../helpers/outage.js';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

let w: TimerWorld;
let r: Receiver;
const postgres = inject('dbMode') === 'postgres';

beforeAll(async () => {
  w = await timerWorld();
  r = await new Receiver().listen();
});
afterAll(async () => {
  await w?.close();
  await r?.close();
});

describe.skipIf(!postgres)('database connections dropped under the timer (as in a PostgreSQL restart)', () => {
  it('keeps firing every tick exactly once, and its LISTEN connection comes back', async () => {
    // Only claims (which push each next occurrence) and wakes feed this node: no periodic refill.
    const node = await w.node({ claimAheadMs: 1_000, horizonMs: 120_000, refillIntervalMs: 100_000 }, 'resilient');
    const s = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/tick`, cron: '* * * * * *' });
    await until(() => r.to('/tick').length >= 2, { timeoutMs: 5_000 });

    const killed = await w.db.execute<{ n: number }>(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()`,
    );
    expect(killed[0].n).toBeGreaterThan(0);
    const killedAt = Date.now();

    await until(() => r.to('/tick').filter((q) => q.at > killedAt).length >= 4, { timeoutMs: 10_000 });
    // The LISTEN connection is back: a job from an API-only node, told only by NOTIFY, fires.
    w.wakers.length = 0;
    const apiCore = createCore({ db: w.db, waker: createNotifyWaker(w.db), publicUrl: 'http://tock.test', allowTargets: LOOPBACK_TARGETS });
    let job: { id: string } | null = null;
    await until(
      async () => {
        // Retried because the reconnect may not have happened yet; each attempt is a new job.
        job ??= await apiCore.jobs.create(w.tenant.actor, { url: `${r.url}/after`, scheduledAt: new Date(Date.now() + 1_500) });
        if (r.to('/after').length > 0) return true;
        return false;
      },
      { timeoutMs: 10_000 },
    );
    await w.t.core.schedules.pause(w.tenant.actor, s.id);

    const times = r.to('/tick').map((q) => Date.parse(String(q.headers['x-tock-scheduled-at']))).sort((a, b) => a - b);
    expect(new Set(times).size).toBe(times.length);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(1000);
    console.info(`[timer] after dropped connections: errors=${(await node.stats()).errors}, ticks=${times.length}`);
    await node.stop(1_000);
  });
});

describe('a database outage of most of a lease TTL', () => {
  it('every loop backs off and recovers; ticks due during the outage fire late, each exactly once', async () => {
    const f = flakyDatabase(w.db);
    const node = await w.node({ leaseTtlMs: 3_000 }, 'outage', f.db);
    // This file's earlier node may hold leases; wait until the outage node has them all.
    await until(async () => (await node.stats()).shards.held === 256, { timeoutMs: 10_000 });
    const s = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/outage`, cron: '* * * * * *' });
    await until(() => r.to('/outage').length >= 2, { timeoutMs: 5_000 });

    f.setDown(true);
    const downAt = Date.now();
    await new Promise((res) => setTimeout(res, 2_500));
    f.setDown(false);
    const upAt = Date.now();

    await until(() => r.to('/outage').some((q) => Date.parse(String(q.headers['x-tock-scheduled-at'])) > upAt + 1_000), { timeoutMs: 10_000 });
    await w.t.core.schedules.pause(w.tenant.actor, s.id);
    await new Promise((res) => setTimeout(res, 300));

    const stats = await node.stats();
    expect(stats.errors).toBeGreaterThan(0);
    const times = r.to('/outage').map((q) => Date.parse(String(q.headers['x-tock-scheduled-at']))).sort((a, b) => a - b);
    expect(new Set(times).size).toBe(times.length);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(1000);
    expect(times.some((t) => t > downAt && t < upAt)).toBe(true);
    console.info(`[timer] outage 2.5 s: errors=${stats.errors}, max lateness=${stats.lateness.max} ms`);
  });
});
