import { REST_CREATES, type RestDialect } from '../enqueue/clients.js';
import type { LoadResult } from '../enqueue/driver.js';
import { forkTs, type ChildRpc } from '../lib/child.js';
import { createFreshDatabase, type FreshDatabase } from '../lib/db.js';
import { fmt, markdownTable, ratio, type Cell } from '../lib/markdown.js';
import { median, medianOfRuns } from '../lib/stats.js';
import type { TockServerInfo } from '../targets/tock-server.js';
import { isPending, type TargetName } from '../targets/types.js';
import { leadMs, sleep, spreadJobs, waitForSink, type BenchContext } from './common.js';

/**
 * API create throughput and latency: each system's own client creates one-time jobs against the
 * same PostgreSQL, `concurrency` calls in flight, a fixed count after a warm-up. Tock is a whole
 * server (`startTock`, TOCK_SCHEDULER=false: only the API is measured) in its own process, driven
 * over gRPC from a third process; the peers' clients are libraries that talk to PostgreSQL, run
 * by that same driver process. See bench/enqueue/clients.ts for the calls.
 */

export interface EnqueueOptions {
  warmup: number;
  count: number;
  concurrency: number;
  batchSize: number;
  batches: number;
  batchConcurrency: number;
  poolSize: number;
  /** The "while the timer fires" variant: one-time jobs fired per second, creates paced per second, for how long. */
  timerRate: number;
  createRate: number;
  timerWindowS: number;
}

export interface EnqueueResult extends LoadResult {
  target: TargetName;
  kind: 'single' | 'batch' | 'single, timer firing';
  api: string;
  /** Why there is no number (no batch API yet). */
  pending: string | null;
  /** Timer variant: fire lateness of the one-time jobs fired meanwhile. */
  timerP50?: number;
  timerP99?: number;
  timerDelivered?: number;
  timerJobs?: number;
  /** Timer variant with a closed-loop phase after the paced one: the highest create rate held while firing. */
  maxCallsPerS?: number;
  maxP50?: number;
  maxP99?: number;
  maxErrors?: number;
}

/** Which of Tock's APIs a cell creates through. */
export type TockApi = { kind: 'grpc' } | { kind: 'rest'; dialect: RestDialect };
export const GRPC_API: TockApi = { kind: 'grpc' };

export function apiLabel(api: TockApi): string {
  return api.kind === 'grpc' ? SINGLE_API.tock : `REST ${api.dialect}: POST ${REST_CREATES[api.dialect].path} (undici.request)`;
}

const SINGLE_API: Record<TargetName, string> = {
  tock: 'gRPC CreateJob (@tock/client/grpc)',
  'graphile-worker': 'WorkerUtils.addJob',
  'pg-boss': 'boss.send',
};

async function spawnDriver(target: TargetName, db: FreshDatabase, ctx: BenchContext, opts: EnqueueOptions, server: TockServerInfo | undefined, api: TockApi) {
  const driver = await forkTs('enqueue/driver.ts', [], { label: `enqueue driver (${target})` });
  try {
    const { batchApi } = await driver.call<{ batchApi: string }>('prepare', target, {
      dbUrl: db.url,
      grpcAddress: server?.grpcAddress,
      httpUrl: server?.httpUrl,
      apiKey: server?.apiKey,
      tockApi: api.kind,
      restDialect: api.kind === 'rest' ? api.dialect : undefined,
      sinkUrl: ctx.sink.url,
      poolSize: opts.poolSize,
    });
    return { driver, batchApi };
  } catch (err) {
    await driver.close().catch(() => {});
    throw err;
  }
}

/** A fresh database, a Tock server child on it (unless `target` is a peer), the driver child; all ended afterwards. */
async function withCell<T>(
  target: TargetName,
  label: string,
  ctx: BenchContext,
  opts: EnqueueOptions,
  scheduler: boolean,
  fn: (driver: ChildRpc, batchApi: string, server: ChildRpc | null) => Promise<T>,
  api: TockApi = GRPC_API,
): Promise<T> {
  const db = await createFreshDatabase(`${target}_${label}`);
  let server: ChildRpc | null = null;
  let driver: ChildRpc | null = null;
  try {
    let info: TockServerInfo | undefined;
    if (target === 'tock') {
      server = await forkTs('targets/tock-server.ts', [], { label: 'tock server' });
      info = await server.call<TockServerInfo>('start', { dbUrl: db.url, scheduler, poolSize: opts.poolSize, sinkUrl: ctx.sink.url });
    }
    const spawned = await spawnDriver(target, db, ctx, opts, info, api);
    driver = spawned.driver;
    return await fn(driver, spawned.batchApi, server);
  } finally {
    if (driver) {
      await driver.call('close').catch(() => {});
      await driver.close().catch(() => {});
    }
    if (server) {
      await server.call('stop').catch(() => {});
      await server.close().catch(() => {});
    }
    await db.drop().catch((err) => ctx.log(`  (could not drop ${db.name}: ${(err as Error).message})`));
  }
}

/** Single creates, then batches, through `target`'s client on one fresh database. */
export async function enqueueCell(target: TargetName, opts: EnqueueOptions, ctx: BenchContext): Promise<EnqueueResult[]> {
  return withCell(target, 'enqueue', ctx, opts, false, async (driver, batchApi) => {
    const single = await driver.call<LoadResult>('single', { warmup: opts.warmup, count: opts.count, concurrency: opts.concurrency });
    const out: EnqueueResult[] = [{ target, kind: 'single', api: SINGLE_API[target], pending: null, ...single }];
    try {
      const batch = await driver.call<LoadResult>('batch', {
        warmup: 2,
        batches: opts.batches,
        batchSize: opts.batchSize,
        concurrency: opts.batchConcurrency,
      });
      out.push({ target, kind: 'batch', api: batchApi, pending: null, ...batch });
    } catch (err) {
      if (!isPending(err)) throw err;
      out.push({ target, kind: 'batch', api: batchApi, pending: (err as Error).message.replace(/^[^:]*: /, ''), ...emptyLoad() });
    }
    return out;
  });
}

export function emptyLoad(): LoadResult {
  const nan = Number.NaN;
  return { calls: 0, jobs: 0, errors: 0, firstError: null, ms: nan, callsPerS: nan, jobsPerS: nan, p50: nan, p90: nan, p99: nan, max: nan };
}

/**
 * Tock creates paced at `createRate`/s (`concurrency` in flight at most) while its timer fires
 * `timerRate` one-time jobs per second (stored ahead, as in the lateness workload) to the sink.
 * `api` picks gRPC (default) or a REST dialect; with `maxS`, a closed loop of `concurrency` in
 * flight follows the paced creates for that long, still while firing: the highest create rate the
 * node holds.
 */
export async function enqueueUnderTimerCell(
  opts: EnqueueOptions,
  ctx: BenchContext,
  cell: { api?: TockApi; maxS?: number } = {},
): Promise<EnqueueResult> {
  const api = cell.api ?? GRPC_API;
  const maxS = cell.maxS ?? 0;
  return withCell('tock', api.kind === 'grpc' ? 'enqtimer' : 'apitimer', ctx, opts, true, async (driver, _batchApi, server) => {
    const creates = opts.createRate * opts.timerWindowS;
    const windowS = opts.timerWindowS + maxS + 3;
    const jobs = opts.timerRate * windowS;
    await driver.call<LoadResult>('single', { warmup: opts.warmup, count: 0, concurrency: opts.concurrency });
    // The server's timer is already running: the jobs reach it through its refill (every 5 s).
    const t0 = Date.now() + Math.max(7_000, leadMs(jobs));
    const list = spreadJobs('enqt', t0, opts.timerRate, jobs);
    const lastDue = list[list.length - 1].dueAtMs;
    await ctx.sink.reset({ dueFromMs: t0, dueToMs: lastDue });
    await server!.call('scheduleAt', list);
    // The creates start once the timer has been firing for a second, and end before it stops.
    await sleep(t0 + 1_000 - Date.now());
    const r = await driver.call<LoadResult>('single', { warmup: 0, count: creates, concurrency: opts.concurrency, ratePerS: opts.createRate });
    // An upper bound far above any rate one node reaches; the duration ends the loop.
    const max = maxS
      ? await driver.call<LoadResult>('single', { warmup: 0, count: 100_000 * maxS, concurrency: opts.concurrency, durationMs: maxS * 1_000 })
      : null;
    await waitForSink(ctx.sink, jobs, { deadlineMs: lastDue + 30_000, notBeforeMs: lastDue, stallMs: 10_000 });
    const s = await ctx.sink.stats();
    return {
      target: 'tock',
      kind: 'single, timer firing',
      api: `${apiLabel(api)} at ${opts.createRate}/s`,
      pending: null,
      ...r,
      timerP50: s.latenessP50,
      timerP99: s.latenessP99,
      timerDelivered: s.unique,
      timerJobs: jobs,
      ...(max ? { maxCallsPerS: max.callsPerS, maxP50: max.p50, maxP99: max.p99, maxErrors: max.errors } : {}),
    };
  }, api);
}

// ---------------------------------------------------------------------------------------------
// Report

export function enqueueSection(results: Map<string, EnqueueResult[]>, targets: TargetName[], opts: EnqueueOptions): string {
  const key = (t: TargetName, kind: EnqueueResult['kind']) => `${t}|${kind}`;
  const med = (t: TargetName, kind: EnqueueResult['kind']) => {
    const rs = results.get(key(t, kind));
    return rs?.length ? { m: medianOfRuns(rs), rs } : null;
  };
  const rows: Cell[][] = [];
  for (const kind of ['single', 'batch'] as const) {
    const tock = med('tock', kind);
    for (const t of targets) {
      const r = med(t, kind);
      if (!r) {
        rows.push([t, kind, '', 'no result', '', '', '', '', '', '']);
        continue;
      }
      const pending = r.rs.find((x) => x.pending)?.pending;
      if (pending) {
        rows.push([t, kind, r.m.api, `pending: ${pending}`, '', '', '', '', '', '']);
        continue;
      }
      const perS = kind === 'single' ? r.m.callsPerS : r.m.jobsPerS;
      const tockPerS = tock && !tock.rs.some((x) => x.pending) ? (kind === 'single' ? tock.m.callsPerS : tock.m.jobsPerS) : Number.NaN;
      rows.push([
        t,
        kind,
        r.m.api,
        fmt(perS),
        r.rs.map((x) => fmt(kind === 'single' ? x.callsPerS : x.jobsPerS)).join(' / '),
        fmt(r.m.p50, 1),
        fmt(r.m.p99, 1),
        `${fmt(median(r.rs.map((x) => x.calls)))} × ${kind === 'single' ? 1 : opts.batchSize}`,
        fmt(r.rs.reduce((a, x) => a + x.errors, 0)),
        t === 'tock' ? '1.00×' : Number.isFinite(tockPerS) ? ratio(tockPerS, perS) : 'pending',
      ]);
    }
  }
  let out = markdownTable(
    ['target', 'kind', 'call', 'jobs/s (median)', 'per run', 'p50 ms per call', 'p99 ms per call', 'calls × jobs', 'errors', 'Tock / target'],
    rows,
  );
  const timer = med('tock', 'single, timer firing');
  if (timer) {
    out += `\n\n${markdownTable(
      ['target', 'call', 'creates/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'timer fires/s', 'fire lateness p50 / p99 ms', 'fired / stored'],
      [[
        'tock',
        timer.m.api,
        fmt(timer.m.callsPerS),
        fmt(timer.m.p50, 1),
        fmt(timer.m.p99, 1),
        fmt(timer.m.max, 1),
        fmt(timer.rs.reduce((a, x) => a + x.errors, 0)),
        fmt(opts.timerRate),
        `${fmt(timer.m.timerP50, 1)} / ${fmt(timer.m.timerP99, 1)}`,
        `${fmt(timer.m.timerDelivered)} / ${fmt(timer.m.timerJobs)}`,
      ]],
    )}`;
  }
  const errors = [...results.values()].flat().filter((r) => r.firstError);
  if (errors.length) out += `\n\nFirst errors: ${errors.map((r) => `${r.target} ${r.kind}: ${r.firstError}`).join('; ')}`;
  return out;
}
