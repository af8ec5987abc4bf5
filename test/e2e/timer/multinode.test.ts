import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Schedule } from '../../../server/core/types.js';
import { createTestCore, LOOPBACK_TARGETS, type TestCore } from '../../helpers/core.js';
import { check, type Delivery, type ExpectedSchedule } from './checker.js';

/**
 * Three scheduler processes on one PostgreSQL database, 20 schedules firing every second (or
 * two) into a receiver here. Mid-run one node is killed (-9) and another paused (SIGSTOP) past
 * its lease TTL and resumed. The checker then compares what arrived with every occurrence of
 * every schedule over the window: 0 lost, 0 duplicated (by tick and by webhook-id), and no tick
 * later than TTL + 2 s (the takeover bound).
 *
 * The signals land half-way between the whole seconds at which ticks are due, when no call is in
 * flight and every result is written. A node dying *during* a call is the case where delivery is
 * at-least-once by design (the successor cannot know whether the call went out); this test
 * checks the claim/lease/fencing machinery, which must lose and duplicate nothing.
 */

const TTL_MS = 3_000;
const FIXTURE = fileURLToPath(new URL('./fixtures/node.ts', import.meta.url));
const postgres = inject('dbMode') === 'postgres';

class NodeProcess {
  readonly child: ChildProcess;
  nodeId = '';
  readonly logs: string[] = [];
  readonly ready: Promise<void>;
  exited = false;

  constructor(url: string, readonly name: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      env: { ...process.env, DATABASE_URL: url, TOCK_LEASE_TTL_MS: String(TTL_MS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.once('exit', () => {
      this.exited = true;
    });
    createInterface({ input: this.child.stderr! }).on('line', (l) => {
      this.logs.push(l);
      if (this.logs.length > 2000) this.logs.shift();
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready: ${this.logs.slice(-20).join('\n')}`)), 30_000);
      createInterface({ input: this.child.stdout! }).on('line', (l) => {
        try {
          const msg = JSON.parse(l) as { ready?: string };
          if (msg.ready) {
            this.nodeId = msg.ready;
            clearTimeout(timer);
            resolve();
          }
        } catch {
          /* not ours */
        }
      });
      this.child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before ready: ${this.logs.slice(-20).join('\n')}`)));
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(sig);
  }

  async terminate(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGCONT');
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
/** Sleeps until the next instant that is `offsetMs` past a whole second, at least `minMs` away. */
async function sleepToOffset(offsetMs: number, minMs = 0): Promise<number> {
  const earliest = Date.now() + minMs;
  const target = Math.ceil((earliest - offsetMs) / 1000) * 1000 + offsetMs;
  await sleep(target - Date.now());
  return target;
}

let t: TestCore | null = null;
let nodes: NodeProcess[] = [];
let server: http.Server | null = null;

afterAll(async () => {
  await Promise.allSettled(nodes.map((n) => n.terminate()));
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await t?.close();
});

describe.skipIf(!postgres)('three scheduler processes on one database', () => {
  it('lose nothing and duplicate nothing through a kill -9 and a SIGSTOP past the lease TTL', { timeout: 120_000 }, async () => {
    t = await createTestCore({ allowTargets: LOOPBACK_TARGETS });
    const core = t.core;
    const { actor } = await t.tenant('e2e');
    const db = t.database.db;

    const deliveries: Delivery[] = [];
    server = http.createServer((req, res) => {
      const receivedAtMs = Date.now();
      req.resume();
      req.on('end', () => {
        deliveries.push({
          scheduleId: String(req.headers['x-tock-schedule-id']),
          scheduledAtMs: Date.parse(String(req.headers['x-tock-scheduled-at'])),
          webhookId: String(req.headers['webhook-id']),
          receivedAtMs,
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    nodes = [0, 1, 2].map((i) => new NodeProcess(t!.database.url, `node${i}`));
    await Promise.all(nodes.map((n) => n.ready));
    const owners = async () =>
      new Map(
        (
          await db.execute<{ owner: string; n: number }>(
            `select owner, count(*)::int as n from shard_leases where owner is not null and expires_at > now() group by owner`,
          )
        ).map((r) => [r.owner, r.n]),
      );
    const splitDeadline = Date.now() + 30_000;
    for (;;) {
      const o = await owners();
      if (nodes.every((n) => (o.get(n.nodeId) ?? 0) >= 80) && [...o.values()].reduce((a, b) => a + b, 0) === 256) break;
      if (Date.now() > splitDeadline) throw new Error(`shards not split: ${JSON.stringify([...o])}`);
      await sleep(100);
    }

    const schedules: Schedule[] = [];
    for (let i = 0; i < 20; i++) {
      const trigger = i < 14 ? { cron: '* * * * * *' } : i < 17 ? { cron: '*/2 * * * * *' } : { intervalSeconds: 1 };
      schedules.push(await core.schedules.create(actor, { url: `${base}/hook/${i}`, ...trigger }));
    }
    const expectedSchedules: ExpectedSchedule[] = schedules.map((s) => ({
      id: s.id,
      trigger: { cron: s.cron, timezone: s.timezone, intervalSeconds: s.intervalSeconds },
      firstMs: s.nextRunAt!.getTime(),
    }));
    const shardOwner = async () =>
      new Map((await db.execute<{ shard: number; owner: string }>(`select shard, owner from shard_leases`)).map((r) => [Number(r.shard), r.owner]));

    // Phase 1: all three run. Then kill -9 node0 between ticks.
    const killAt = await sleepToOffset(500, 5_000);
    const ownersAtKill = await shardOwner();
    nodes[0].signal('SIGKILL');
    const killedSchedules = new Set(schedules.filter((s) => ownersAtKill.get(s.shard) === nodes[0].nodeId).map((s) => s.id));

    // Phase 2: two survivors take node0's shards. Then pause node1 past its TTL.
    const stopAt = await sleepToOffset(500, 7_000);
    const ownersAtStop = await shardOwner();
    nodes[1].signal('SIGSTOP');
    const stoppedSchedules = new Set(schedules.filter((s) => ownersAtStop.get(s.shard) === nodes[1].nodeId).map((s) => s.id));
    await sleep(TTL_MS * 2);
    nodes[1].signal('SIGCONT');

    // Phase 3: node1 is back and gets its share again.
    const cutoff = (await sleepToOffset(0, 6_000)) - 1_000;
    // Let the window's last ticks (and any late ones) arrive, then stop the schedules.
    await sleep(TTL_MS + 2_000);
    for (const s of schedules) await core.schedules.pause(actor, s.id);
    await sleep(1_500);

    const report = check(expectedSchedules, deliveries, cutoff);
    const latenessOf = (ids: Set<string>, from: number) =>
      Math.max(0, ...deliveries.filter((d) => ids.has(d.scheduleId) && d.scheduledAtMs > from && d.scheduledAtMs <= cutoff).map((d) => d.receivedAtMs - d.scheduledAtMs));
    const summary = {
      window: `${new Date(Math.min(...expectedSchedules.map((s) => s.firstMs))).toISOString()} .. ${new Date(cutoff).toISOString()}`,
      expected: report.expected,
      received: report.received,
      lost: report.lost.length,
      duplicatedTicks: report.duplicatedTicks.length,
      duplicatedIds: report.duplicatedIds.length,
      unexpected: report.unexpected.length,
      lateness: report.lateness,
      afterKill: { schedules: killedSchedules.size, maxLatenessMs: latenessOf(killedSchedules, killAt) },
      afterStop: { schedules: stoppedSchedules.size, maxLatenessMs: latenessOf(stoppedSchedules, stopAt) },
    };
    console.info(`[timer e2e] ${JSON.stringify(summary)}`);
    if (report.lost.length || report.duplicatedTicks.length || report.duplicatedIds.length || report.unexpected.length) {
      for (const n of nodes) console.error(`--- ${n.name} (${n.nodeId}) last logs\n${n.logs.slice(-40).join('\n')}`);
    }

    expect(report.expected).toBeGreaterThan(300);
    expect(report.lost).toEqual([]);
    expect(report.duplicatedTicks).toEqual([]);
    expect(report.duplicatedIds).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(killedSchedules.size).toBeGreaterThan(0);
    expect(stoppedSchedules.size).toBeGreaterThan(0);
    expect(report.lateness.max).toBeLessThanOrEqual(TTL_MS + 2_000);

    // node1 rejoined: after the run, the live nodes share the shards again.
    const o = await owners();
    expect(o.get(nodes[1].nodeId) ?? 0).toBeGreaterThan(0);
    expect(o.get(nodes[2].nodeId) ?? 0).toBeGreaterThan(0);
    expect(o.has(nodes[0].nodeId)).toBe(false);
  });
});
