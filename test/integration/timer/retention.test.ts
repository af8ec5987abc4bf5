import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase32, newId } from '../../../server/core/ids.js';
import { shardOf } from '../../../server/core/shard.js';
import type { Database } from '../../../server/store/database.js';
import { HttpExecutor, TargetPolicy } from '../../../server/executor/index.js';
import { createScheduler, silentLogger } from '../../../server/timer/index.js';
import { Retention, type RetentionOptions } from '../../../server/timer/retention.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';

/**
 * Retention on a real database: rows written with old timestamps (and ids made at those times,
 * as the server makes them), a clock the test sets, and ownership of a chosen set of shards.
 */

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');

let t: TestCore;
let db: Database;

beforeAll(async () => {
  t = await createTestCore();
  db = t.database.db;
});
afterAll(async () => {
  await t.close();
});

/** An id of `prefix` made at `ms` (the server's ids start with their creation time). */
function idAt(prefix: string, ms: number): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes.set(Buffer.from(newId('job').slice(-8)), 8);
  bytes[6] = 0x70;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  return `${prefix}_${encodeBase32(bytes)}`;
}

interface Fixture {
  projectId: string;
  jobId: string;
  monitorId: string;
}

/** A project of its own (`retention_days` as given) with one job and one monitor. */
async function project(retentionDays: number | null): Promise<Fixture> {
  const tenant = await t.tenant();
  const projectId = tenant.projectId;
  await db.query(`update projects set retention_days = $2 where id = $1`, [projectId, retentionDays]);
  const jobId = newId('job');
  await db.query(
    `insert into jobs (id, project_id, shard, source, url, method, scheduled_at, timeout_ms, max_retries, retry_backoff_ms, retry_backoff_max_ms, status)
     values ($1, $2, $3, 'api', 'https://example.com/', 'POST', now(), 10000, 0, 1000, 60000, 'succeeded')`,
    [jobId, projectId, shardOf(jobId)],
  );
  const monitorId = newId('monitor');
  await db.query(
    `insert into monitors (id, project_id, shard, name, period_seconds, grace_seconds, ping_token) values ($1, $2, $3, 'm', 60, 60, $4)`,
    [monitorId, projectId, shardOf(monitorId), newId('ping')],
  );
  return { projectId, jobId, monitorId };
}

/** `n` executions, pings and alerts (in `status`) of `f`, each made `ageDays` before NOW. */
async function rows(f: Fixture, ageDays: number, n: number, alertStatus = 'delivered'): Promise<void> {
  for (let i = 0; i < n; i++) {
    const at = NOW - ageDays * DAY + i;
    const iso = new Date(at).toISOString();
    await db.query(
      `insert into executions (id, job_id, project_id, attempt, status, status_code, duration_ms, started_at, finished_at)
       values ($1, $2, $3, 1, 'succeeded', 200, 12, $4, $4)`,
      [idAt('exec', at), f.jobId, f.projectId, iso],
    );
    await db.query(`insert into pings (id, monitor_id, kind, received_at) values ($1, $2, 'success', $3)`, [idAt('ping', at), f.monitorId, iso]);
    await db.query(
      `insert into alerts (id, project_id, shard, event, subject_type, subject_id, change_id, channel, target, format, payload, status, created_at)
       values ($1, $2, 0, 'monitor.down', 'monitor', $3, $4, 'webhook', 'https://example.com/hook', 'json', '{}', $5, $6)`,
      [idAt('alrt', at), f.projectId, f.monitorId, newId('flip'), alertStatus, iso],
    );
  }
}

async function counts(f: Fixture): Promise<{ executions: number; pings: number; alerts: number }> {
  const [r] = await db.query<{ executions: number; pings: number; alerts: number }>(
    `select (select count(*)::int from executions where project_id = $1) as executions,
            (select count(*)::int from pings where monitor_id = $2) as pings,
            (select count(*)::int from alerts where project_id = $1) as alerts`,
    [f.projectId, f.monitorId],
  );
  return r;
}

function retention(opts: { owns?: (shard: number) => boolean; options?: Partial<RetentionOptions>; now?: () => number } = {}): Retention {
  return new Retention({
    db,
    owns: opts.owns ?? (() => true),
    now: opts.now ?? (() => NOW),
    logger: silentLogger,
    options: { defaultDays: 30, firstPassAfterMs: 0, pauseMs: 0, ...opts.options },
  });
}

/** Deletes every row of the tables the tests write, so each test counts its own. */
async function clear(): Promise<void> {
  await db.query(`delete from executions`);
  await db.query(`delete from pings`);
  await db.query(`delete from alerts`);
}

describe('retention', () => {
  it('deletes executions, pings and sent alerts older than the default age, and keeps newer ones', async () => {
    await clear();
    const f = await project(null);
    await rows(f, 45, 3);
    await rows(f, 10, 2);
    const deleted = await retention().runPass();
    expect(deleted).toEqual({ executions: 3, pings: 3, alerts: 3 });
    expect(await counts(f)).toEqual({ executions: 2, pings: 2, alerts: 2 });
    const [oldest] = await db.query<{ at: Date }>(`select min(started_at) as at from executions where project_id = $1`, [f.projectId]);
    expect(new Date(oldest.at).getTime()).toBeGreaterThanOrEqual(NOW - 10 * DAY);
  });

  it("honours a project's own age limit over the default, and keeps everything of a project set to 0", async () => {
    await clear();
    const short = await project(7);
    const forever = await project(0);
    const byDefault = await project(null);
    for (const f of [short, forever, byDefault]) {
      await rows(f, 400, 1);
      await rows(f, 10, 1);
      await rows(f, 1, 1);
    }
    await retention().runPass();
    expect(await counts(short)).toEqual({ executions: 1, pings: 1, alerts: 1 });
    expect(await counts(forever)).toEqual({ executions: 3, pings: 3, alerts: 3 });
    expect(await counts(byDefault)).toEqual({ executions: 2, pings: 2, alerts: 2 });
  });

  it('keeps everything when the server default is 0, except in projects with an age of their own', async () => {
    await clear();
    const own = await project(5);
    const byDefault = await project(null);
    await rows(own, 100, 2);
    await rows(byDefault, 100, 2);
    await retention({ options: { defaultDays: 0 } }).runPass();
    expect(await counts(own)).toEqual({ executions: 0, pings: 0, alerts: 0 });
    expect(await counts(byDefault)).toEqual({ executions: 2, pings: 2, alerts: 2 });
  });

  it('never deletes an alert that is still pending, however old; failed ones go like delivered ones', async () => {
    await clear();
    const f = await project(null);
    await rows(f, 90, 2, 'pending');
    await rows(f, 90, 1, 'failed');
    await retention().runPass();
    const left = await db.query<{ status: string }>(`select status from alerts where project_id = $1 order by status`, [f.projectId]);
    expect(left.map((r) => r.status)).toEqual(['pending', 'pending']);
  });

  it('deletes in batches of at most batchRows rows per statement, one step each, until the old rows are gone', async () => {
    await clear();
    const f = await project(null);
    await rows(f, 60, 25);
    const r = retention({ options: { batchRows: 10 } });
    const batches: number[] = [];
    let before = (await counts(f)).executions;
    let total = 0;
    while (await r.step()) {
      const now = (await counts(f)).executions;
      if (now !== before) batches.push(before - now);
      before = now;
      // One statement per step: at most one batch over all tables.
      const sum = r.deleted.executions + r.deleted.pings + r.deleted.alerts;
      expect(sum - total).toBeLessThanOrEqual(10);
      total = sum;
    }
    expect(batches).toEqual([10, 10, 5]);
    expect(await counts(f)).toEqual({ executions: 0, pings: 0, alerts: 0 });
    expect(r.deleted).toEqual({ executions: 25, pings: 25, alerts: 25 });
  });

  it('pauses pauseMs after each batch that deleted rows, on the injected clock, and not after one that found none', async () => {
    await clear();
    let now = NOW;
    const f = await project(null);
    await rows(f, 60, 3);
    const r = retention({ now: () => now, options: { batchRows: 2, pauseMs: 500 } });
    let steps = 0;
    // Through the project pages and the other projects (nothing to delete): no pause.
    for (;;) {
      const more = await r.step();
      if ((await counts(f)).executions < 3) {
        // This step deleted a batch (2 executions): the next batch waits 500 ms.
        expect(more).toBe(false);
        break;
      }
      expect(more).toBe(true);
      expect(r.nextAt()).toBe(now);
      if (++steps > 1_000) throw new Error('never reached the project');
    }
    expect((await counts(f)).executions).toBe(1);
    expect(r.nextAt()).toBe(now + 500);
    expect(await r.step()).toBe(false);
    expect((await counts(f)).executions).toBe(1);
    now += 500;
    await r.step();
    expect((await counts(f)).executions).toBe(0);
  });

  it("cleans only the projects whose shard this node owns", async () => {
    await clear();
    const mine = await project(null);
    let other = await project(null);
    while (shardOf(other.projectId) === shardOf(mine.projectId)) other = await project(null);
    await rows(mine, 60, 2);
    await rows(other, 60, 2);
    await retention({ owns: (shard) => shard === shardOf(mine.projectId) }).runPass();
    expect(await counts(mine)).toEqual({ executions: 0, pings: 0, alerts: 0 });
    expect(await counts(other)).toEqual({ executions: 2, pings: 2, alerts: 2 });
  });

  it('starts the next pass intervalMs after a pass ends, on the injected clock', async () => {
    await clear();
    let now = NOW;
    const f = await project(null);
    const r = retention({ now: () => now, options: { intervalMs: 60_000, firstPassAfterMs: 5_000 } });
    expect(r.nextAt()).toBe(NOW + 5_000);
    expect(await r.step()).toBe(false);
    now += 5_000;
    while (await r.step());
    expect(r.nextAt()).toBe(now + 60_000);
    await rows(f, 31, 1);
    now += 59_999;
    expect(await r.step()).toBe(false);
    expect((await counts(f)).executions).toBe(1);
    now += 1;
    while (await r.step());
    expect(await counts(f)).toEqual({ executions: 0, pings: 0, alerts: 0 });
  });

  it("runs on a scheduler node for the shards its leases hold", async () => {
    await clear();
    const f = await project(null);
    await rows(f, 60, 2);
    const node = createScheduler({
      db,
      databaseUrl: null,
      executor: new HttpExecutor({ policy: new TargetPolicy([]), maxInFlight: 1, maxPerOrigin: 1 }),
      logger: silentLogger,
      clock: { now: () => new Date(NOW) },
      options: { leaseTtlMs: 5_000 },
      retention: { firstPassAfterMs: 0 },
    });
    expect(await node.retention.runPass()).toEqual({ executions: 0, pings: 0, alerts: 0 });
    await node.leaseStep();
    expect(await node.retention.runPass()).toEqual({ executions: 2, pings: 2, alerts: 2 });
    await node.stop(1_000);
  });
});
