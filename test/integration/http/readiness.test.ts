import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import type { Readiness } from '../../../server/surfaces/http/health.js';
import { startHttpServer, type RunningHttpServer } from '../../../server/surfaces/http/server.js';
import type { RunningScheduler } from '../../../server/timer/index.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';
import { eventually, outagesPossible, startOutage } from '../../helpers/outage.js';
import { timerWorld, type TimerWorld } from '../timer/harness.js';

/**
 * `GET /readyz` on a real database and real scheduler nodes: 200 when the database answers,
 * every migration is applied and the scheduler (when on) holds leases; 503 naming the check
 * that failed otherwise.
 */

const servers: RunningHttpServer[] = [];
async function serve(t: TestCore, scheduler: RunningScheduler | null): Promise<string> {
  const http = await startHttpServer({
    core: t.core,
    db: t.database.db,
    logger: createLogger('silent'),
    port: 0,
    host: '127.0.0.1',
    mode: 'postgres',
    scheduler: scheduler ? () => scheduler.stats() : null,
  });
  servers.push(http);
  return `http://127.0.0.1:${http.port}`;
}
async function ready(base: string): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('readiness of a node with the scheduler on', () => {
  let world: TimerWorld;
  beforeAll(async () => {
    world = await timerWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('is ready when the database answers, migrations are applied and the node holds every lease alone', async () => {
    const a = await world.node({}, 'a');
    const base = await serve(world.t, a);
    const r = await ready(base);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', scheduler: 'ok' },
      leases: { held: 256, valid: 256, liveNodes: 1 },
      pending: [],
      failed: [],
    });
    expect((await a.stats()).shards.held).toBe(256);
  });

  it('makes a second node ready once it holds its share, and not ready once its scheduler stops', async () => {
    const b = await world.node({}, 'b');
    const base = await serve(world.t, b);
    await eventually('the second node holds leases', async () => (await ready(base)).status === 200);
    expect((await b.stats()).shards.held).toBeGreaterThan(0);
    expect((await b.stats()).liveNodes).toBe(2);

    await b.stop(1_000);
    const r = await ready(base);
    expect(r.status).toBe(503);
    expect(r.body.failed).toEqual(['scheduler']);
    expect(r.body.checks).toMatchObject({ database: 'ok', migrations: 'ok' });
    expect(['stopping', 'not_started']).toContain(r.body.checks.scheduler);
  });

  it('refuses other methods with 405', async () => {
    const base = await serve(world.t, null);
    expect((await fetch(`${base}/readyz`, { method: 'POST' })).status).toBe(405);
  });
});

describe('readiness of a node whose lease renewals stall', () => {
  let world: TimerWorld;
  beforeAll(async () => {
    world = await timerWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  // PGlite serves every connection from one backend: a lock held on one would stall them all.
  it.skipIf(!outagesPossible())('is not ready once its leases lapse while the database still answers, and ready again once renewals get through', async () => {
    const node = await world.node({ leaseTtlMs: 1_500 }, 'stalled');
    const base = await serve(world.t, node);
    expect((await ready(base)).body).toMatchObject({ status: 'ready', leases: { held: 256, valid: 256, liveNodes: 1 } });

    // Another connection holds every lease row locked: the node's renewing UPDATE waits on it.
    const locker = await world.connect();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const tx = locker.em().transactional(async (em) => {
      await em.execute('select shard from shard_leases for update');
      locked();
      await released;
    });
    try {
      await isLocked;
      await eventually('the leases lapse', async () => (await ready(base)).body.checks.scheduler === 'leases_lapsed');
      const r = await ready(base);
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({
        status: 'not_ready',
        checks: { database: 'ok', migrations: 'ok', scheduler: 'leases_lapsed' },
        leases: { held: 256, valid: 0 },
        failed: ['scheduler'],
      });
    } finally {
      release();
      await tx;
    }
    await eventually('the node renews its leases', async () => (await ready(base)).status === 200);
    expect((await ready(base)).body.leases).toEqual({ held: 256, valid: 256, liveNodes: 1 });
  });
});

describe('readiness of an API-only node', () => {
  it('reports the scheduler off and a migration the database lacks as pending', async () => {
    const t = await createTestCore();
    try {
      const base = await serve(t, null);
      expect(await ready(base)).toEqual({
        status: 200,
        body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', scheduler: 'off' }, leases: null, pending: [], failed: [] },
      });
      // The database forgets its latest migration, as a database an older release migrated would be.
      const [last] = await t.database.db.execute<{ name: string }>('select name from mikro_orm_migrations order by id desc limit 1');
      await t.database.db.execute('delete from mikro_orm_migrations where name = ?', [last.name]);
      const r = await ready(base);
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ status: 'not_ready', checks: { database: 'ok', migrations: 'pending', scheduler: 'off' }, failed: ['migrations'] });
      expect(r.body.pending).toEqual([last.name.replace(/\.[jt]s$/, '')]);
    } finally {
      await t.close();
    }
  });

  it.skipIf(!outagesPossible())('is not ready while the database refuses connections, and ready again once it answers', async () => {
    const t = await createTestCore();
    try {
      const base = await serve(t, null);
      expect((await ready(base)).status).toBe(200);
      const outage = await startOutage(t.database.url);
      try {
        const r = await ready(base);
        expect(r.status).toBe(503);
        expect(r.body).toMatchObject({ status: 'not_ready', checks: { database: 'unreachable', migrations: 'unknown' }, failed: ['database', 'migrations'] });
        expect((await fetch(`${base}/healthz`)).status).toBe(503);
      } finally {
        await outage.end();
      }
      await eventually('the node is ready again', async () => (await ready(base)).status === 200);
    } finally {
      await t.close();
    }
  });

  it('is not ready once its database is dropped', async () => {
    const t = await createTestCore();
    const base = await serve(t, null);
    await t.close();
    const r = await ready(base);
    expect(r.status).toBe(503);
    expect(r.body.failed).toContain('database');
    expect(r.body.checks.database).toBe('unreachable');
  });
});
