import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../../server/core/index.js';
import type { Schedule } from '../../../server/core/types.js';
import { Database } from '../../../server/store/database.js';
import { createNotifyWaker, type RunningScheduler } from '../../../server/timer/index.js';
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from '../../helpers/private-postgres.js';
import { LOOPBACK_TARGETS } from '../../helpers/core.js';
import { Receiver, timerWorld, until, type TimerWorld } from '../../integration/timer/harness.js';

/**
 * PostgreSQL itself restarts (a crash: `pg_ctl -m immediate`) under a running scheduler, on a
 * server of this test's own. Every second-tick schedule keeps each tick at most once; the ticks
 * missed while the database was down follow the misfire policy (threshold 2 s here): `fire_once`
 * gets one catch-up run carrying the first missed tick, `skip` none; then both tick on, and the
 * LISTEN connection is back (a job created on an API-only node fires, told only by NOTIFY).
 */

const THRESHOLD_MS = 2_000;
const OUTAGE_MS = 4_000;
const binDir = await postgresBinDir();

let pg: PrivatePostgres;
let w: TimerWorld;
let r: Receiver;
let node: RunningScheduler;

beforeAll(async () => {
  if (!binDir) return;
  pg = await startPrivatePostgres(binDir);
  const db = await Database.connect({ url: pg.url, poolSize: 5 });
  await db.migrate();
  w = await timerWorld({ database: { url: pg.url, db, close: () => db.close() } });
  r = await new Receiver().listen();
  // No periodic refill: after the restart only claims (which push each next occurrence) and
  // NOTIFY feed this node.
  node = await w.node({ misfireThresholdMs: THRESHOLD_MS, horizonMs: 120_000, refillIntervalMs: 100_000 }, 'pg-restart');
}, 60_000);

afterAll(async () => {
  await w?.close();
  await r?.close();
  await pg?.destroy();
});

interface Tick {
  scheduledAt: number;
  at: number;
  id: string;
}

function ticksOf(s: Schedule): Tick[] {
  return r
    .to(`/${s.id}`)
    .map((q) => ({ scheduledAt: Date.parse(String(q.headers['x-tock-scheduled-at'])), at: q.at, id: String(q.headers['webhook-id']) }))
    .sort((a, b) => a.scheduledAt - b.scheduledAt);
}

function expectEachOnce(ticks: Tick[]): void {
  expect(new Set(ticks.map((k) => k.scheduledAt)).size).toBe(ticks.length);
  expect(new Set(ticks.map((k) => k.id)).size).toBe(ticks.length);
}

/** True when `ticks` holds every whole second from its first to its last. */
function consecutive(ticks: Tick[]): boolean {
  return ticks.every((k, i) => i === 0 || k.scheduledAt - ticks[i - 1].scheduledAt === 1_000);
}

describe.skipIf(!binDir)('a PostgreSQL restart under a running scheduler', () => {
  it('fires each tick at most once, catches up on what it missed by misfire policy, and its LISTEN comes back', async () => {
    const create = (misfire: 'fire_once' | 'skip') =>
      w.t.core.schedules.create(w.tenant.actor, { url: r.url, cron: '* * * * * *', misfire }).then((s) =>
        w.t.core.schedules.update(w.tenant.actor, s.id, { url: `${r.url}/${s.id}` }),
      );
    const catchUp = await create('fire_once');
    const skip = await create('skip');
    await until(() => ticksOf(catchUp).length >= 3 && ticksOf(skip).length >= 3, { timeoutMs: 10_000 });

    // Down half-way between two ticks: the next tick (claimed up to 1.1 s ahead) is the last one
    // claimed before the outage; every later one is missed until the database is back.
    await until(() => Date.now() % 1_000 >= 450 && Date.now() % 1_000 < 550, { timeoutMs: 3_000, intervalMs: 5 });
    const downAt = Date.now();
    await pg.stop('immediate');
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await pg.start();
    const upAt = Date.now();

    await until(() => ticksOf(catchUp).filter((k) => k.scheduledAt > upAt).length >= 3 && ticksOf(skip).filter((k) => k.scheduledAt > upAt).length >= 3, {
      timeoutMs: 15_000,
      message: () => `after the restart: fire_once ${ticksOf(catchUp).filter((k) => k.scheduledAt > upAt).length}, skip ${ticksOf(skip).filter((k) => k.scheduledAt > upAt).length}`,
    });

    // The LISTEN connection is back: a job created on an API-only node fires, told only by NOTIFY.
    const apiDb = await w.connect();
    const apiCore = createCore({ db: apiDb, waker: createNotifyWaker(apiDb), publicUrl: 'http://tock.test', allowTargets: LOOPBACK_TARGETS });
    const job = await apiCore.jobs.create(w.tenant.actor, { url: `${r.url}/after-restart`, scheduledAt: new Date(Date.now() + 1_500) });
    await until(() => r.to('/after-restart').length === 1, { timeoutMs: 10_000 });
    expect(r.to('/after-restart')[0].headers['webhook-id']).toBe(job.id);

    await w.t.core.schedules.pause(w.tenant.actor, catchUp.id);
    await w.t.core.schedules.pause(w.tenant.actor, skip.id);

    const firstMissed = Math.ceil((downAt + 1_000) / 1_000) * 1_000;
    for (const s of [catchUp, skip]) {
      const ticks = ticksOf(s);
      expectEachOnce(ticks);
      // Nothing lost before the outage: every second up to the last tick claimed before it.
      expect(consecutive(ticks.filter((k) => k.scheduledAt < firstMissed))).toBe(true);
      // After the restart the schedule ticks on, every second.
      expect(consecutive(ticks.filter((k) => k.scheduledAt > upAt))).toBe(true);
    }
    const missed = (s: Schedule) => ticksOf(s).filter((k) => k.scheduledAt >= firstMissed && k.scheduledAt <= upAt);
    // fire_once: one catch-up run, carrying the first missed tick, sent once the database was back.
    const [run, ...more] = missed(catchUp);
    expect(more).toEqual([]);
    expect(run.scheduledAt).toBe(firstMissed);
    expect(run.at - run.scheduledAt).toBeGreaterThan(THRESHOLD_MS);
    // skip: no run for the missed ticks.
    expect(missed(skip)).toEqual([]);
    const stats = await node.stats();
    expect(stats.misfires.fireOnce).toBeGreaterThanOrEqual(1);
    expect(stats.misfires.skip).toBeGreaterThanOrEqual(1);
    expect(stats.errors).toBeGreaterThan(0);
  }, 60_000);
});
