import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { newId } from '../../../server/core/ids.js';
import type { Schedule } from '../../../server/core/types.js';
import type { Database } from '../../../server/store/database.js';
import { writeAttempts } from '../../../server/store/job-transitions.js';
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

async function owners(db: Database = w.db): Promise<Map<string | null, number>> {
  const rows = await db.execute<{ owner: string | null; n: number }>(
    `select owner, count(*)::int as n from shard_leases where owner is null or expires_at > now() group by owner`,
  );
  return new Map(rows.map((x) => [x.owner, x.n]));
}

describe('two schedulers on one database', () => {
  it('split the 256 shards, never double-fire, and a stopped one hands its shards over at once', async () => {
    const dbB = await w.connect();
    // A long TTL: a takeover within a second cannot be the leases expiring.
    const opts = { leaseTtlMs: 9_000 };
    const a = await w.node(opts, 'A');
    const b = await w.node(opts, 'B', dbB);
    await until(async () => {
      const o = await owners();
      return o.get(a.nodeId) === 128 && o.get(b.nodeId) === 128;
    }, { timeoutMs: 20_000, message: async () => `A ${JSON.stringify((await a.stats()).shards)} B ${JSON.stringify((await b.stats()).shards)}` });

    const schedules: Schedule[] = [];
    for (let i = 0; i < 20; i++) {
      schedules.push(await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/split/${i}`, cron: '* * * * * *' }));
    }
    const shardsA = new Set(
      (await w.db.execute<{ shard: number }>(`select shard from shard_leases where owner = ?`, [a.nodeId])).map((x) => Number(x.shard)),
    );
    expect(schedules.some((s) => shardsA.has(s.shard)) && schedules.some((s) => !shardsA.has(s.shard))).toBe(true);

    await until(() => schedules.every((_, i) => r.to(`/split/${i}`).length >= 3), { timeoutMs: 10_000 });
    expect((await a.stats()).fired).toBeGreaterThan(0);
    expect((await b.stats()).fired).toBeGreaterThan(0);

    // Stop A: its shards are free at once and B takes them without waiting for the TTL.
    const stoppedAt = Date.now();
    await a.stop(2_000);
    const o = await owners();
    expect(o.get(a.nodeId)).toBeUndefined();
    if (postgres) {
      await until(async () => (await b.stats()).shards.held === 256, { timeoutMs: 1_500 });
      console.info(`[timer] takeover after stop: ${Date.now() - stoppedAt} ms`);
    } else {
      await until(async () => (await b.stats()).shards.held === 256, { timeoutMs: 5_000 });
    }
    const afterStop = Date.now();
    await until(() => schedules.every((_, i) => r.to(`/split/${i}`).some((q) => q.at > afterStop + 1_000)), { timeoutMs: 5_000 });
    for (const s of schedules) await w.t.core.schedules.pause(w.tenant.actor, s.id);
    await b.stop(2_000);

    // Every (schedule, scheduled_at) exactly once, every webhook-id once, and no gap in each
    // schedule's seconds across the handover.
    const ids = new Set<string>();
    for (let i = 0; i < schedules.length; i++) {
      const got = r.to(`/split/${i}`);
      const times = got.map((q) => Date.parse(String(q.headers['x-tock-scheduled-at']))).sort((x, y) => x - y);
      expect(new Set(times).size, `duplicate tick of schedule ${i}`).toBe(times.length);
      for (let k = 1; k < times.length; k++) expect(times[k] - times[k - 1], `gap in schedule ${i}`).toBe(1000);
      for (const q of got) {
        const id = String(q.headers['webhook-id']);
        expect(ids.has(id)).toBe(false);
        ids.add(id);
      }
    }
  });
});
