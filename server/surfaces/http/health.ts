import type { FastifyInstance } from 'fastify';
import type { Database } from '../../store/database.js';
import { refuseOtherMethods } from './methods.js';

/** What readiness needs to know of this node's scheduler (a subset of the timer's stats). */
export interface SchedulerState {
  running: boolean;
  stopping: boolean;
  /** Leases held, and of those the ones still valid (renewed within the TTL by this node's clock). */
  shards: { held: number; valid: number };
  /** Live scheduler nodes, this one included. */
  liveNodes: number;
}

export interface HealthOptions {
  db: Database;
  /** What `/healthz` reports as the storage mode. */
  mode: 'embedded' | 'postgres';
  /** This node's scheduler; absent or null when it runs none (TOCK_SCHEDULER=false). */
  scheduler?: (() => SchedulerState | Promise<SchedulerState>) | null;
}

type CheckName = 'database' | 'migrations' | 'scheduler';

/** The body of `/readyz`: each check's state, and the checks that failed (empty when ready). */
export interface Readiness {
  status: 'ready' | 'not_ready';
  checks: {
    /** `ok`, or `unreachable` when `select 1` does not answer within 2 s. */
    database: 'ok' | 'unreachable';
    /** `ok`, `pending` (see `pending`), or `unknown` while the database does not answer. */
    migrations: 'ok' | 'pending' | 'unknown';
    /**
     * `ok`, `off` (an API-only node), `not_started`, `stopping`, `no_leases` (started, other
     * nodes live, no shard held yet) or `leases_lapsed` (leases held but none renewed in time:
     * the node fires nothing until a renewal gets through).
     */
    scheduler: 'ok' | 'off' | 'not_started' | 'stopping' | 'no_leases' | 'leases_lapsed';
  };
  /** This node's shard leases; null on an API-only node. */
  leases: { held: number; valid: number; liveNodes: number } | null;
  /** Migrations this code has that the database has not applied. */
  pending: string[];
  failed: CheckName[];
}

/**
 * The scheduler check: started, not stopping, and holding shard leases it renewed in time (or
 * alone, so nobody else could hold them).
 */
export function schedulerCheck(s: SchedulerState | null): Readiness['checks']['scheduler'] {
  if (!s) return 'off';
  if (s.stopping) return 'stopping';
  if (!s.running) return 'not_started';
  if (s.shards.held > 0) return s.shards.valid > 0 ? 'ok' : 'leases_lapsed';
  return s.liveNodes <= 1 ? 'ok' : 'no_leases';
}

/** A check that does not answer within this counts as failed (a probe must not hang on a dead pool). */
const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Whether the node can do its work now. The migration check runs only once the database answers. */
export async function readiness(opts: HealthOptions): Promise<Readiness> {
  const reachable = await opts.db.isReachable(CHECK_TIMEOUT_MS);
  let pending: string[] = [];
  let migrations: Readiness['checks']['migrations'] = 'unknown';
  if (reachable) {
    try {
      pending = await withTimeout(opts.db.pendingMigrations(), CHECK_TIMEOUT_MS);
      migrations = pending.length ? 'pending' : 'ok';
    } catch {
      // The database went away between the two statements: unknown, and the database check says why next time.
    }
  }
  const s = opts.scheduler ? await opts.scheduler() : null;
  const checks: Readiness['checks'] = {
    database: reachable ? 'ok' : 'unreachable',
    migrations,
    scheduler: schedulerCheck(s),
  };
  const failed: CheckName[] = [];
  if (checks.database !== 'ok') failed.push('database');
  if (checks.migrations !== 'ok') failed.push('migrations');
  if (checks.scheduler !== 'ok' && checks.scheduler !== 'off') failed.push('scheduler');
  const leases = s && { held: s.shards.held, valid: s.shards.valid, liveNodes: s.liveNodes };
  return { status: failed.length ? 'not_ready' : 'ready', checks, leases, pending, failed };
}

/**
 * `GET /healthz`: liveness, 200 while the database answers, 503 once it does not.
 * `GET /readyz`: readiness, 200 when the database answers, every migration is applied and (with
 * the scheduler on) the node holds shard leases or is the only node; else 503 naming what failed.
 */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/healthz', async (_req, reply) => {
    const ok = await opts.db.isReachable();
    reply.code(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', database: ok ? 'ok' : 'unreachable', mode: opts.mode };
  });
  app.get('/readyz', async (_req, reply) => {
    const r = await readiness(opts);
    reply.code(r.status === 'ready' ? 200 : 503);
    return r;
  });
  refuseOtherMethods(app, '/healthz', ['GET']);
  refuseOtherMethods(app, '/readyz', ['GET']);
}
