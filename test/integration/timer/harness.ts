import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { inject } from 'vitest';
import { createCore } from '../../../server/core/index.js';
import type { Waker } from '../../../server/core/wake.js';
import { HttpExecutor, TargetPolicy } from '../../../server/executor/index.js';
import { Database } from '../../../server/store/database.js';
import { createScheduler, startScheduler, silentLogger, type RunningScheduler, type Scheduler, type TimerLogger, type TimerOptions } from '../../../server/timer/index.js';
import { createTestCore, LOOPBACK_TARGETS, type TestCore, type TestTenant } from '../../helpers/core.js';
import type { TestDatabase } from '../../helpers/db.js';
import type { Clock } from '../../../server/core/clock.js';

/** Timer tests' plumbing: a loopback receiver, a polling `until`, a core + tenant, scheduler nodes. */

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request head arrived. */
  at: number;
}

export type Handler = (req: Received, res: ServerResponse) => void;

export class Receiver {
  readonly requests: Received[] = [];
  port = 0;
  private readonly server: http.Server;

  constructor(private handler: Handler = (_req, res) => res.writeHead(200).end('ok')) {
    this.server = http.createServer((req, res) => {
      const at = Date.now();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at };
        this.requests.push(r);
        this.handler(r, res);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  respond(handler: Handler): void {
    this.handler = handler;
  }

  /** Requests whose path is `path` (query ignored). */
  to(path: string): Received[] {
    return this.requests.filter((r) => r.url.split('?')[0] === path);
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `condition` until it holds; fails with `message` after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; message?: string | (() => string | Promise<string>) } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) {
      const m = typeof opts.message === 'function' ? await opts.message() : opts.message;
      throw new Error(`condition not met within ${opts.timeoutMs ?? 10_000} ms${m ? `: ${m}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
  }
}

export function testLogger(name: string): TimerLogger {
  if (!process.env.TOCK_TEST_LOG) return silentLogger;
  return pino({ level: 'debug', base: { test: name } }, pino.destination(2));
}

/** Short intervals so tests run in seconds. */
export const TEST_OPTIONS: Partial<TimerOptions> = {
  leaseTtlMs: 3_000,
  horizonMs: 10_000,
  claimAheadMs: 1_000,
  claimBatchMs: 100,
  // Below the claim-ahead, so claims and dispatch marks are separate steps the tests can drive.
  dispatchMarkMs: 250,
  refillIntervalMs: 1_000,
  flushIntervalMs: 20,
};

export const LOOPBACK_POLICY = new TargetPolicy(LOOPBACK_TARGETS);

/** A job row as the timer tests check it. */
export interface JobState {
  status: string;
  attempts: number;
  /** `dispatched_at` is set (the dispatch mark committed). */
  dispatched: boolean;
  executions: number;
}

export interface TimerWorld {
  t: TestCore;
  tenant: TestTenant;
  db: Database;
  url: string;
  /** The core's waker forwards wakes and cancels to every node started here. */
  wakers: Waker[];
  executor: HttpExecutor;
  /**
   * A running node. With `db` (another pool), its monitor deadlines are decided through a core of
   * its own on that pool, as each process of a cluster has its own core.
   */
  node(opts?: Partial<TimerOptions>, name?: string, db?: Database): Promise<RunningScheduler>;
  /** A scheduler whose loops do not run: drive its steps. `clock`: the core's clock too, if the core was made with it. */
  manual(opts?: Partial<TimerOptions> & { random?: () => number; clock?: Clock }, name?: string): Scheduler;
  jobState(id: string): Promise<JobState>;
  /** Another pool on the same database (a second node's own connections). */
  connect(): Promise<Database>;
  close(): Promise<void>;
}

/** `database`: one the caller made (a private PostgreSQL server); default: this file's own. */
export async function timerWorld(opts: { database?: TestDatabase; clock?: Clock } = {}): Promise<TimerWorld> {
  const wakers: Waker[] = [];
  const waker: Waker = {
    wake: (k, s, d) => wakers.forEach((w) => w.wake(k, s, d)),
    cancelled: (k, s, id) => wakers.forEach((w) => w.cancelled?.(k, s, id)),
  };
  const t = await createTestCore({ database: opts.database, allowTargets: LOOPBACK_TARGETS, clock: opts.clock, waker });
  const deadlinesOn = (db: Database) =>
    db === t.database.db ? t.core.monitorDeadlines : createCore({ db, clock: opts.clock, waker, publicUrl: 'http://tock.test', allowTargets: LOOPBACK_TARGETS }).monitorDeadlines;
  const tenant = await t.tenant('timer');
  const executor = new HttpExecutor({ policy: LOOPBACK_POLICY });
  const nodes: RunningScheduler[] = [];
  const dbs: Database[] = [];
  const url = t.database.url;
  // PGlite (no PostgreSQL server) does not deliver NOTIFY across connections: in-process wakes only.
  const pgMode = opts.database !== undefined || inject('dbMode') === 'postgres';
  return {
    t,
    tenant,
    db: t.database.db,
    url,
    wakers,
    executor,
    async node(opts = {}, name = 'node', db = t.database.db) {
      const n = await startScheduler({
        db,
        databaseUrl: pgMode ? url : null,
        executor,
        logger: testLogger(name),
        options: { ...TEST_OPTIONS, ...opts },
        monitorDeadlines: deadlinesOn(db),
      });
      nodes.push(n);
      wakers.push(n.waker);
      return n;
    },
    manual(opts = {}, name = 'manual') {
      const { random, clock, ...rest } = opts;
      return createScheduler({
        db: t.database.db,
        databaseUrl: null,
        executor,
        logger: testLogger(name),
        options: { ...TEST_OPTIONS, ...rest },
        random,
        clock,
        monitorDeadlines: t.core.monitorDeadlines,
      });
    },
    async jobState(id) {
      const [row] = await t.database.db.execute<JobState>(
        `select status, attempts, dispatched_at is not null as dispatched,
                (select count(*)::int from executions e where e.job_id = j.id) as executions
           from jobs j where id = ?`,
        [id],
      );
      return row;
    },
    async connect() {
      const db = await Database.connect({ url, poolSize: 5 });
      dbs.push(db);
      return db;
    },
    async close() {
      await Promise.allSettled(nodes.map((n) => n.stop(1000)));
      await executor.close(500);
      for (const d of dbs) await d.close();
      await t.close();
    },
  };
}
