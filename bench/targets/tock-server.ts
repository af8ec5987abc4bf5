/**
 * Child-process entry: a whole Tock server (`startTock` from server/app.ts, as `npm start` runs
 * it) on a bench database, for the workloads that measure its API. Ports are 0 (any free one),
 * logs at `warn` on this process's stdout. Calls, over IPC (see lib/child.ts):
 *
 * - start({ dbUrl, scheduler, poolSize, sinkUrl }) -> { grpcAddress, httpUrl, apiKey, projectId }:
 *   DATABASE_URL = dbUrl, TOCK_SCHEDULER = scheduler, TOCK_DB_POOL_SIZE = poolSize, outbound calls
 *   allowed to loopback (the sink), no per-key REST rate limit (TOCK_API_RATE_PER_KEY = 0: one key
 *   sends every create). The first start's admin key is the key every call uses.
 * - scheduleAt(jobs): one-time jobs to the sink, stored with SQL as TockTarget.scheduleAt stores
 *   them (the timer's refill picks them up within its refill interval, so give them a lead).
 * - stop(): stops the server as a signal would.
 *
 * Run it under `node --cpu-prof` (forkTs's `execArgv`) to profile the API.
 */
import { startTock, type RunningTock } from '../../server/app.js';
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

async function start(opts: { dbUrl: string; scheduler: boolean; poolSize?: number; sinkUrl?: string }): Promise<TockServerInfo> {
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
    memory: () => process.memoryUsage(),
    stop,
  },
  stop,
);
