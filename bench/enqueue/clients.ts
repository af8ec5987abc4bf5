/**
 * The enqueue clients: one create (and one batch of creates) through each system's own client,
 * as an application would call it. Every job is the same call: POST to the sink with the bench
 * id, due one hour from now (so no scheduler or worker runs it while creates are measured).
 *
 * - tock: gRPC `CreateJob` through `@tock/client/grpc` (`createGrpcClients`, one channel) to a
 *   Tock server in another process (bench/targets/tock-server.ts). Batch: `CreateJobs` (up to
 *   1,000 jobs a call, one statement on the server; a failed item fails the measurement).
 * - tock over REST (`tockApi: 'rest'`): `undici.request` POST of one job to a REST dialect's
 *   create endpoint on Tock's HTTP port (`REST_CREATES`: Fliq `POST /v1/jobs`, Prikke
 *   `POST /jobs`), on one undici Pool of 64 keep-alive connections, Bearer key; the same job as the
 *   gRPC create (url, POST, the `x-job-id` header, body). A 404 from the port (no such dialect on
 *   this build) makes the client "pending" at `prepare`, before anything is measured.
 * - graphile-worker 0.16.6: `makeWorkerUtils({ pgPool }).addJob('sink', payload, { runAt, maxAttempts: 1 })`.
 *   0.16 has no `addJobs` in its JS API (it came with 0.17); its batch row calls the SQL
 *   function such a call runs, `graphile_worker.add_jobs(job_spec[])`, in one statement.
 * - pg-boss 10.4.2: `boss.send(queue, data, { startAfter, retryLimit: 0 })`; batch `boss.insert(jobs)`.
 *   The sender runs with `supervise: false, schedule: false` (no maintenance or cron loop in the
 *   client; a worker node would run them).
 *
 * Each peer client gets a pg pool of `poolSize` connections, the size Tock's server uses
 * (TOCK_DB_POOL_SIZE), so every system reaches PostgreSQL through as many connections.
 */
import { makeWorkerUtils, runMigrations, type WorkerUtils } from 'graphile-worker';
import PgBoss from 'pg-boss';
import pg from 'pg';
import { Pool } from 'undici';
import { createGrpcClients, Job, type CreateJobsRequest, type CreateJobsResponse, type TockGrpcClients } from '../../client/src/grpc.js';
import { TargetPendingError, type TargetName } from '../targets/types.js';

export interface EnqueueClientOptions {
  /** PostgreSQL URL of the cell's database (peers). */
  dbUrl: string;
  /** Tock's gRPC address and key (tock). */
  grpcAddress?: string;
  apiKey?: string;
  /** Which of Tock's APIs creates (tock; default gRPC), and for REST the HTTP base URL and the dialect. */
  tockApi?: 'grpc' | 'rest';
  httpUrl?: string;
  restDialect?: RestDialect;
  sinkUrl: string;
  poolSize: number;
}

export interface EnqueueClient {
  /** One create of job number `i`. */
  one(i: number): Promise<void>;
  /** `n` jobs numbered from `i0` in one call. Throws TargetPendingError if there is no batch API. */
  batch(i0: number, n: number): Promise<void>;
  /** What the batch row calls (for the report). */
  readonly batchApi: string;
  close(): Promise<void>;
}

const AHEAD_MS = 3_600_000;
const QUEUE = 'bench';
const body = (i: number) => JSON.stringify({ n: i });

/**
 * The REST dialects' one-time job create, as their documents give it: path, and the body of a
 * job calling `url` with POST, the headers and the body, due at `at`.
 */
export const REST_CREATES = {
  fliq: {
    path: '/v1/jobs',
    body: (url: string, at: Date, headers: Record<string, string>, body: string) => ({ url, http_method: 'POST', scheduled_at: at.toISOString(), headers, body }),
  },
  prikke: {
    path: '/jobs',
    body: (url: string, at: Date, headers: Record<string, string>, body: string) => ({ url, method: 'POST', run_at: at.toISOString(), headers, body }),
  },
} as const;
export type RestDialect = keyof typeof REST_CREATES;
export const REST_DIALECTS = Object.keys(REST_CREATES) as RestDialect[];

export async function createEnqueueClient(target: TargetName, opts: EnqueueClientOptions): Promise<EnqueueClient> {
  switch (target) {
    case 'tock':
      return opts.tockApi === 'rest' ? tockRestClient(opts) : tockClient(opts);
    case 'graphile-worker':
      return graphileClient(opts);
    case 'pg-boss':
      return pgBossClient(opts);
    default:
      throw new Error(`no enqueue client for ${String(target)}`);
  }
}

function call<Req, Res>(fn: (req: Req, cb: (err: Error | null, res?: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(req, (err, res) => (err ? reject(err) : resolve(res as Res)));
  });
}

function tockClient(opts: EnqueueClientOptions): EnqueueClient {
  if (!opts.grpcAddress || !opts.apiKey) throw new Error('tock: grpcAddress and apiKey are required');
  const clients: TockGrpcClients = createGrpcClients({ address: opts.grpcAddress, apiKey: opts.apiKey });
  const job = (i: number) =>
    Job.fromPartial({
      url: opts.sinkUrl,
      method: 'POST',
      headers: { 'x-job-id': `enq-${i}` },
      body: body(i),
      scheduledAt: new Date(Date.now() + AHEAD_MS),
    });
  return {
    batchApi: 'gRPC CreateJobs',
    one: async (i) => {
      await call(clients.jobs.createJob.bind(clients.jobs), { job: job(i) });
    },
    batch: async (i0, n) => {
      const res = await call<CreateJobsRequest, CreateJobsResponse>(clients.jobs.createJobs.bind(clients.jobs), { jobs: Array.from({ length: n }, (_, k) => job(i0 + k)) });
      const failed = res.results.filter((r) => r.error);
      if (failed.length) throw new Error(`CreateJobs: ${failed.length} of ${n} items failed (first: ${failed[0].error!.message})`);
    },
    close: async () => clients.close(),
  };
}

async function tockRestClient(opts: EnqueueClientOptions): Promise<EnqueueClient> {
  const dialect = opts.restDialect ?? 'fliq';
  if (!opts.httpUrl || !opts.apiKey) throw new Error('tock over REST: httpUrl and apiKey are required');
  const create = REST_CREATES[dialect];
  if (!create) throw new Error(`no REST create for dialect ${dialect}; choose from ${REST_DIALECTS.join(', ')}`);
  const pool = new Pool(opts.httpUrl, { connections: 64, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' };
  const what = `POST ${create.path} (${dialect})`;
  const one = async (i: number) => {
    const res = await pool.request({
      method: 'POST',
      path: create.path,
      headers,
      body: JSON.stringify(create.body(opts.sinkUrl, new Date(Date.now() + AHEAD_MS), { 'x-job-id': `enq-${i}` }, body(i))),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    if (res.statusCode === 404) throw new TargetPendingError(`no REST dialect answers ${what} on this build (404)`);
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`${what} answered ${res.statusCode}: ${text.slice(0, 200)}`);
  };
  try {
    // One create before anything is timed: a build without the dialect is pending, not a column of errors.
    await one(-1);
  } catch (err) {
    await pool.close();
    throw err;
  }
  return {
    batchApi: `${what}: no batch endpoint`,
    one,
    batch: async () => {
      throw new TargetPendingError(`the ${dialect} dialect has no batch create`);
    },
    close: async () => pool.close(),
  };
}

async function graphileClient(opts: EnqueueClientOptions): Promise<EnqueueClient> {
  const pool = new pg.Pool({ connectionString: opts.dbUrl, max: opts.poolSize });
  await runMigrations({ pgPool: pool });
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool: pool });
  const payload = (i: number) => ({ id: `enq-${i}`, url: opts.sinkUrl, body: body(i) });
  return {
    batchApi: 'graphile_worker.add_jobs(job_spec[]) (0.16 has no addJobs)',
    one: async (i) => {
      await utils.addJob('sink', payload(i), { runAt: new Date(Date.now() + AHEAD_MS), maxAttempts: 1 });
    },
    batch: async (i0, n) => {
      const ids = Array.from({ length: n }, (_, k) => i0 + k);
      await pool.query(
        `select count(*) from graphile_worker.add_jobs(array(
           select row('sink', json_build_object('id', 'enq-' || t.i, 'url', $2::text, 'body', json_build_object('n', t.i)::text),
                      null, $3::timestamptz, 1, null, null, null)::graphile_worker.job_spec
           from unnest($1::int[]) as t(i)))`,
        [ids, opts.sinkUrl, new Date(Date.now() + AHEAD_MS)],
      );
    },
    close: async () => {
      await utils.release();
      await pool.end();
    },
  };
}

async function pgBossClient(opts: EnqueueClientOptions): Promise<EnqueueClient> {
  const boss = new PgBoss({ connectionString: opts.dbUrl, max: opts.poolSize, supervise: false, schedule: false });
  boss.on('error', (err: unknown) => console.error('[pg-boss]', (err as Error)?.message ?? err));
  await boss.start();
  await boss.createQueue(QUEUE, { name: QUEUE, policy: 'standard', retryLimit: 0 });
  const data = (i: number) => ({ id: `enq-${i}`, url: opts.sinkUrl, body: body(i) });
  return {
    batchApi: 'boss.insert(jobs)',
    one: async (i) => {
      await boss.send(QUEUE, data(i), { startAfter: new Date(Date.now() + AHEAD_MS), retryLimit: 0 });
    },
    batch: async (i0, n) => {
      const startAfter = new Date(Date.now() + AHEAD_MS);
      await boss.insert(Array.from({ length: n }, (_, k) => ({ name: QUEUE, data: data(i0 + k), startAfter, retryLimit: 0 })));
    },
    close: async () => {
      await boss.stop({ graceful: false, close: true, wait: true, timeout: 5_000 });
    },
  };
}
