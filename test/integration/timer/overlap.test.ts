import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cancelJob } from '../../../server/store/job-transitions.js';
import type { Schedule } from '../../../server/core/types.js';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

/**
 * Overlap `forbid` when the unfinished run is not one this node is calling right now: a run
 * waiting for its retry, a run fired by the shard's previous owner, a run cancelled elsewhere.
 */

let w: TimerWorld;
let r: Receiver;

beforeAll(async () => {
  w = await timerWorld();
  // Every call fails and asks for a retry in ten minutes: the first run stays unfinished.
  r = await new Receiver((_req, res) => res.writeHead(503, { 'retry-after': '600' }).end()).listen();
});
afterEach(async () => {
  await w.db.execute(`update shard_leases set owner = null, expires_at = null`);
});
afterAll(async () => {
  await w?.close();
  await r?.close();
});

function forbidSchedule(path: string): Promise<Schedule> {
  return w.t.core.schedules.create(w.tenant.actor, {
    url: `${r.url}${path}`,
    cron: '* * * * * *',
    overlap: 'forbid',
    maxRetries: 3,
    retryBackoffMs: 1_000,
    retryBackoffMaxMs: 3_600_000,
  });
}

/** The schedule's first run once it has failed and waits for its retry. */
async function firstRunWaitingForRetry(s: Schedule): Promise<string> {
  let id = '';
  await until(
    async () => {
      const rows = await w.db.execute<{ id: string }>(
        `select id from jobs where schedule_id = ? and status = 'scheduled' and attempts = 1 and next_attempt_at > now() + interval '5 minutes'`,
        [s.id],
      );
      id = rows[0]?.id ?? '';
      return rows.length === 1;
    },
    { timeoutMs: 8_000 },
  );
  return id;
}

async function skippedSince(s: Schedule, sinceMs: number): Promise<number> {
  const [row] = await w.db.execute<{ n: number }>(
    `select count(*)::int as n from jobs j join executions e on e.job_id = j.id
      where j.schedule_id = ? and e.status = 'skipped' and j.scheduled_at > ?::timestamptz`,
    [s.id, new Date(sinceMs).toISOString()],
  );
  return row.n;
}

describe('overlap forbid', () => {
  it('counts a run waiting for its retry as still running: later ticks are skipped, none is called', async () => {
    const node = await w.node({}, 'retry-wait');
    const s = await forbidSchedule('/retry-wait');
    const first = await firstRunWaitingForRetry(s);
    const since = Date.now();
    await until(async () => (await skippedSince(s, since)) >= 2, { timeoutMs: 8_000 });
    expect(r.to('/retry-wait').map((q) => q.headers['webhook-id'])).toEqual([first]);
    await w.t.core.schedules.pause(w.tenant.actor, s.id);
    await node.stop(1_000);
  });

  it.each<[string, string, (jobId: string) => Promise<void>]>([
    [
      'a run cancelled while it waits for its retry no longer holds back the next tick',
      '/cancel-api',
      async (jobId) => {
        await w.t.core.jobs.cancel(w.tenant.actor, jobId);
      },
    ],
    [
      'a run cancelled where the node was not told (lost notice) stops counting at the next claim',
      '/cancel-untold',
      // The core's cancel transition, without telling any node.
      async (jobId) => {
        expect(await cancelJob(w.db, { jobId, projectId: w.tenant.projectId, at: new Date() })).not.toBeNull();
      },
    ],
  ])('%s', async (_behaviour, path, cancel) => {
    const node = await w.node({}, path.slice(1));
    const s = await forbidSchedule(path);
    const first = await firstRunWaitingForRetry(s);
    await until(async () => (await skippedSince(s, 0)) >= 1, { timeoutMs: 8_000 });
    await cancel(first);
    await until(() => r.to(path).length >= 2, { timeoutMs: 5_000, message: 'no tick ran after the cancel' });
    const ids = r.to(path).map((q) => String(q.headers['webhook-id']));
    expect(ids[0]).toBe(first);
    expect(ids[1]).not.toBe(first);
    await w.t.core.schedules.pause(w.tenant.actor, s.id);
    await node.stop(1_000);
  });

  it("a new owner of the shard counts the previous owner's unfinished run: its ticks are skipped", async () => {
    const a = await w.node({}, 'owner-a');
    const s = await forbidSchedule('/takeover');
    const first = await firstRunWaitingForRetry(s);
    // A hands its shards back; B takes them and has never seen the first run.
    await a.stop(1_000);
    const handover = Date.now();
    const b = await w.node({}, 'owner-b');
    await until(async () => (await skippedSince(s, handover)) >= 2, { timeoutMs: 8_000 });
    const [owner] = await w.db.execute<{ owner: string }>(`select owner from shard_leases where shard = ?`, [s.shard]);
    expect(owner.owner).toBe(b.nodeId);
    expect(r.to('/takeover').map((q) => q.headers['webhook-id'])).toEqual([first]);
    await w.t.core.schedules.pause(w.tenant.actor, s.id);
    await b.stop(1_000);
  });
});
