import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

let w: TimerWorld;
let r: Receiver;

beforeAll(async () => {
  w = await timerWorld();
  r = await new Receiver().listen();
});
afterEach(async () => {
  await w.db.execute(`update shard_leases set owner = null, expires_at = null`);
});
afterAll(async () => {
  await w?.close();
  await r?.close();
});

/** `count` jobs to `path`, the first due in `dueInMs`, each next one `spacingMs` later. */
async function createJobs(path: string, count: number, dueInMs: number, spacingMs = 0): Promise<Set<string>> {
  const base = Date.now() + dueInMs;
  const jobs = await Promise.all(
    Array.from({ length: count }, (_, i) => w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}${path}`, scheduledAt: new Date(base + i * spacingMs) })),
  );
  return new Set(jobs.map((j) => j.id));
}

/** Every job in `ids` reached `path`, each exactly once. */
function expectEachReceivedOnce(path: string, ids: Set<string>): void {
  const got = r.to(path).map((q) => String(q.headers['webhook-id']));
  expect(new Set(got)).toEqual(ids);
  expect(got).toHaveLength(ids.size);
}

/** A running node whose page holds 20 rows and whose periodic refill comes only after a minute. */
async function drainsWithSmallPages(path: string, ids: Set<string>, name: string): Promise<void> {
  const node = await w.node({ refillLimit: 20, refillIntervalMs: 60_000, horizonMs: 120_000 }, name);
  await until(() => r.to(path).length >= ids.size, { timeoutMs: 20_000, message: () => `received ${r.to(path).length} of ${ids.size}` });
  expectEachReceivedOnce(path, ids);
  await node.stop(1_000);
}

describe('a backlog larger than one refill', () => {
  it("leaves this node's own claims out of the refill, so each refill after a claim reads the next page", async () => {
    const ids = await createJobs('/pages', 25, 800);
    const n = w.manual({ refillLimit: 10 }, 'pages');
    await n.leaseStep();
    const pages: number[] = [];
    for (let i = 0; i < 5; i++) {
      const pushed = await n.refillStep();
      pages.push(pushed);
      if (pushed === 0) break;
      const before = n.queue.size;
      expect((await n.claimStep()).jobs).toBe(before);
    }
    expect(pages).toEqual([10, 10, 5, 0]);
    const [{ n: running }] = await w.db.execute<{ n: number }>(`select count(*)::int as n from jobs where status = 'running' and id = any(?::text[])`, [
      `{${[...ids].join(',')}}`,
    ]);
    expect(running).toBe(25);
    await n.markStep(new Date(Date.now() + 1_000));
    expect(n.fireDueStep(new Date(Date.now() + 10_000))).toBe(25);
    await n.idle();
    expectEachReceivedOnce('/pages', ids);
    await n.stop(500);
  });

  it('a running node drains many pages without waiting for its periodic refill', async () => {
    await drainsWithSmallPages('/drain', await createJobs('/drain', 120, 1_500), 'drain');
  });

  it('holds at most maxOwned claimed jobs: the rest stays scheduled in the database until results drain', async () => {
    const ids = await createJobs('/bounded', 12, 800);
    const n = w.manual({ maxOwned: 5 }, 'bounded');
    await n.leaseStep();
    expect(await n.refillStep()).toBe(12);
    expect((await n.claimStep()).jobs).toBe(5);
    // Full: nothing more is claimed while the five are held.
    expect((await n.claimStep()).jobs).toBe(0);
    const scheduled = async () => {
      const [{ n: c }] = await w.db.execute<{ n: number }>(`select count(*)::int as n from jobs where status = 'scheduled' and id = any(?::text[])`, [
        `{${[...ids].join(',')}}`,
      ]);
      return c;
    };
    expect(await scheduled()).toBe(7);
    for (const expected of [5, 5, 2]) {
      await n.markStep(new Date(Date.now() + 1_000));
      expect(n.fireDueStep(new Date(Date.now() + 10_000))).toBe(expected);
      await n.idle();
      await n.claimStep();
    }
    expect(await scheduled()).toBe(0);
    expectEachReceivedOnce('/bounded', ids);
    await n.stop(500);
  });

  it('reads the next page of a backlog from where the last one ended, not from the start', async () => {
    const ids = await createJobs('/cursor', 30, 5_000, 10);
    const n = w.manual({ refillLimit: 10 }, 'cursor');
    await n.leaseStep();
    const pages = [await n.refillStep()];
    for (let i = 0; i < 3; i++) pages.push(await n.refillStep(undefined, { next: true }));
    // Each next page starts at the last page's final due time: that row again (already queued),
    // then nine new ones; the last page is short, which ends the backlog.
    expect(pages).toEqual([10, 9, 9, 2]);
    expect(n.queue.size).toBe(30);
    for (const id of ids) expect(n.queue.has('job', id)).toBe(true);
    // Complete now: a next page request is a full refill, which finds nothing new.
    expect(await n.refillStep(undefined, { next: true })).toBe(0);
    await n.stop(500);
    for (const id of ids) await w.t.core.jobs.cancel(w.tenant.actor, id);
  });

  it('a running node drains a backlog of distinct due times, page after page', async () => {
    await drainsWithSmallPages('/spread', await createJobs('/spread', 150, 1_500, 7), 'spread');
  });
});
