/**
 * Child-process entry: a whole Tock server (`startTock` from server/app.ts, as `npm start` runs
 * it) on a bench database, for the workloads that measure its API. Ports are 0 (any free one),
 * logs at `warn` on this process's stdout. Calls, over IPC (see lib/child.ts):
 *
 * - start({ dbUrl, scheduler, poolSize, sinkUrl, env }) -> { grpcAddress, httpUrl, apiKey, projectId }:
 *   DATABASE_URL = dbUrl, TOCK_SCHEDULER = scheduler, TOCK_DB_POOL_SIZE = poolSize, outbound calls
 *   allowed to loopback (the sink), no per-key REST rate limit (TOCK_API_RATE_PER_KEY = 0: one key
 *   sends every create); `env` adds or overrides TOCK_* settings (e.g. the ping rate limits).
 *   The first start's admin key is the key every call uses.
 * - scheduleAt(jobs): one-time jobs to the sink, stored with SQL as TockTarget.scheduleAt stores
 *   them (the timer's refill picks them up within its refill interval, so give them a lead).
 * - seedMonitors({ count, periodSeconds, graceSeconds }) -> [{ id, token }]: monitors stored with SQL
 *   as `MonitorService.create` stores them (id `newId('monitor')`, `shard = shardOf(id)`, a
 *   `newPingToken()`, status 'new', no deadline: the first ping makes it up and sets one), in
 *   statements of 5,000 rows. No validation: periods below a dialect's minimum are allowed.
 * - sql(text, params): one statement on the server's database (counts for the workloads).
 * - stop(): stops the server as a signal would.
 *
 * Run it under `node --cpu-prof` (forkTs's `execArgv`) to profile the API.
 */
import { startTock, type RunningTock } from '../../server/app.js';
import { newPingToken } from '../../server/core/auth/secrets.js';
import { newId } from '../../server/core/ids.js';
import { shardOf } from '../../server/core/shard.js';
import { parseConfig } from '../../server/config.js';
import { serveRpc } from '../lib/child.js';
import { insertOneTimeJobs } from './tock.js';
import type { BenchJob } from './types.js';

export interface TockServerInfo {
  grpcAddress: string;
  httpUrl: string;
  apiKey: string;
  projectId: string;
}

let running: RunningTock | null = null;
let info: TockServerInfo | null = null;
let sinkUrl = '';

async function start(opts: { dbUrl: string; scheduler: boolean; poolSize?: number; sinkUrl?: string; env?: Record<string, string> }): Promise<TockServerInfo> {
  if (running) throw new Error('already started');
  const config = parseConfig({
    DATABASE_URL: opts.dbUrl,
    PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    TOCK_SCHEDULER: String(opts.scheduler),
    TOCK_DB_POOL_SIZE: String(opts.poolSize ?? 10),
    TOCK_ALLOW_TARGETS: '127.0.0.1/32,localhost',
    TOCK_API_RATE_PER_KEY: '0',
    ...opts.env,
  });
  running = await startTock(config);
  const apiKey = running.bootstrapSecret;
  if (!apiKey) throw new Error('the bench database already had keys: it must be fresh');
  const actor = await running.core.actor(await running.core.authenticate(apiKey));
  sinkUrl = opts.sinkUrl ?? '';
  info = {
    grpcAddress: `127.0.0.1:${running.grpc.port}`,
    httpUrl: `http://127.0.0.1:${running.http.port}`,
    apiKey,
    projectId: actor.projectId,
  };
  return info;
}

async function stop(): Promise<void> {
  const r = running;
  running = null;
  await r?.stop();
}

serveRpc(
  {
    start,
    scheduleAt: async (jobs: BenchJob[]) => {
      if (!running || !info) throw new Error('start first');
      await insertOneTimeJobs(running.db, info.projectId, sinkUrl, jobs);
    },
    executions: async () => {
      if (!running) throw new Error('start first');
      const [row] = await running.db.execute<{ n: number }>('select count(*)::int as n from executions');
      return row.n;
    },
    seedMonitors: async (opts: { count: number; periodSeconds: number; graceSeconds: number }) => {
      if (!running || !info) throw new Error('start first');
      const out: Array<{ id: string; token: string }> = [];
      for (let i = 0; i < opts.count; i += 5000) {
        const rows = Array.from({ length: Math.min(5000, opts.count - i) }, (_, j) => {
          const id = newId('monitor');
          return { id, shard: shardOf(id), token: newPingToken(), name: `bench ${i + j}` };
        });
        await running.db.execute(
          `insert into monitors (id, project_id, shard, name, period_seconds, grace_seconds, status, ping_token)
           select t.id, ?, t.shard, t.name, ?, ?, 'new', t.token
           from jsonb_to_recordset(?::jsonb) as t(id text, shard int, token text, name text)`,
          [info.projectId, opts.periodSeconds, opts.graceSeconds, JSON.stringify(rows)],
        );
        for (const r of rows) out.push({ id: r.id, token: r.token });
      }
      await running.db.execute('analyze monitors');
      return out;
    },
    sql: async (text: string, params: unknown[] = []) => {
      if (!running) throw new Error('start first');
      return running.db.execute(text, params);
    },
    memory: () => process.memoryUsage(),
    stop,
  },
  stop,
);
