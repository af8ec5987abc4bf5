/**
 * `npm run bench [-- options]`: Tock's benchmark harness. See bench/README.md.
 *
 * Workloads (select with --only, comma-separated; default all):
 *   lateness  Tock fire lateness p50/p99/max at each --rates value for --duration s
 *   ramp      Tock highest sustained fires/s (p99 < 1 s, all delivered, no growing backlog)
 *   burst     Tock drain time of --burst jobs due at the same instant
 *   rss       Tock scheduler RSS with --schedules active schedules stored
 *   peers     the lateness and burst workloads on graphile-worker and pg-boss (ratios vs Tock)
 *   http      undici.request vs undici.fetch vs global fetch vs node-fetch on the sink
 *   recurring Tock every-second schedules: tick lateness at each --rates value, and the minute burst
 *   enqueue   API creates: Tock gRPC CreateJob(s) vs graphile-worker addJob / pg-boss send (+ batches)
 *   api       creates through a REST dialect (--api-dialect) beside gRPC, while the timer fires 1,000/s
 *   monitors  heartbeat pings over HTTP at rising rates (highest held, p99, persisted) and down detection lateness
 *
 * Every cell runs --runs times (default 3; 1 with --quick) and tables show medians. Every
 * target runs in its own child process against its own fresh database; one sink child process
 * records arrivals for all.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { HTTP_CLIENTS, httpTable, runHttpBench, type HttpSummary } from './http-client.js';
import { adminUrl, dropStaleBenchDatabases } from './lib/db.js';
import { machineInfo, machineMarkdown, type MachineInfo } from './lib/machine.js';
import { fmt, markdownTable, ratio, type Cell } from './lib/markdown.js';
import { SinkClient } from './lib/sink-client.js';
import { median, medianOfRuns } from './lib/stats.js';
import { isPending, type TargetConfig, type TargetName } from './targets/types.js';
import { burstCell, type BurstResult } from './workloads/burst.js';
import { tuningSeen, type BenchContext } from './workloads/common.js';
import { REST_DIALECTS, type RestDialect } from './enqueue/clients.js';
import { apiCell, apiClients, apiKey, apiSection } from './workloads/api.js';
import { apiLabel, enqueueCell, enqueueSection, enqueueUnderTimerCell, type EnqueueOptions, type EnqueueResult } from './workloads/enqueue.js';
import { minuteBurstCell, minuteBurstSection, recurringCell, recurringSection, sameShapeCell, type MinuteBurstResult, type RecurringResult } from './workloads/recurring.js';
import { latenessCell, type LatenessResult } from './workloads/lateness.js';
import { monitorDownCell, monitorPingCell, monitorsSection, type MonitorsDownResult, type MonitorsOptions, type MonitorsPingResult } from './workloads/monitors.js';
import { rampSearch, type RampResult } from './workloads/ramp.js';
import { rssCell, type RssResult } from './workloads/rss.js';

const WORKLOADS = ['lateness', 'ramp', 'burst', 'rss', 'peers', 'http', 'recurring', 'enqueue', 'api', 'monitors'] as const;
type Workload = (typeof WORKLOADS)[number];
const PEERS: TargetName[] = ['graphile-worker', 'pg-boss'];

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    rates: { type: 'string' },
    duration: { type: 'string' },
    burst: { type: 'string' },
    schedules: { type: 'string' },
    'settle-s': { type: 'string' },
    'http-requests': { type: 'string' },
    'http-concurrency': { type: 'string' },
    peers: { type: 'string' },
    'ramp-targets': { type: 'string' },
    'ramp-start': { type: 'string' },
    'ramp-max': { type: 'string' },
    'gw-concurrency': { type: 'string' },
    'gw-poll-ms': { type: 'string' },
    'gw-pool': { type: 'string' },
    'boss-workers': { type: 'string' },
    'boss-batch': { type: 'string' },
    'boss-poll-s': { type: 'string' },
    'boss-pool': { type: 'string' },
    'tock-options': { type: 'string' },
    'enqueue-count': { type: 'string' },
    'enqueue-warmup': { type: 'string' },
    'enqueue-concurrency': { type: 'string' },
    'enqueue-batch': { type: 'string' },
    'enqueue-pool': { type: 'string' },
    'enqueue-rate': { type: 'string' },
    'skip-enqueue-timer': { type: 'boolean', default: false },
    'api-dialect': { type: 'string' },
    monitors: { type: 'string' },
    'ping-rates': { type: 'string' },
    'ping-step-s': { type: 'string' },
    'down-monitors': { type: 'string' },
    'down-wait-s': { type: 'string' },
    'drop-stale': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  allowPositionals: false,
});

if (args.help) {
  console.log(`npm run bench -- [--only ${WORKLOADS.join(',')}] [--runs N] [--quick] [--out FILE]
  [--rates 500,1000,2000] [--duration 10] [--burst 50000] [--schedules 1000000] [--settle-s 20]
  [--http-requests 50000] [--http-concurrency 100] [--peers graphile-worker,pg-boss]
  [--ramp-targets tock] [--ramp-start 1000] [--ramp-max 20000]
  [--gw-concurrency 32] [--gw-poll-ms 100] [--gw-pool N] [--boss-workers 8] [--boss-batch 200] [--boss-poll-s 0.5] [--boss-pool N]
  [--tock-options '{"horizonMs":30000}'] [--drop-stale]
  [--enqueue-count 20000] [--enqueue-warmup 5000] [--enqueue-concurrency 50] [--enqueue-batch 1000] [--enqueue-pool 10] [--enqueue-rate 500] [--skip-enqueue-timer]
  [--api-dialect ${REST_DIALECTS.join('|')}]
  [--monitors 10000] [--ping-rates 500,1000,2000,4000,8000] [--ping-step-s 10] [--down-monitors 1000] [--down-wait-s 10]
Environment: BENCH_PG_URL (admin URL; default postgres://postgres@127.0.0.1:5432/postgres).`);
  process.exit(0);
}

const quick = args.quick ?? false;
const num = (v: string | undefined, def: number) => (v === undefined ? def : Number(v));
const list = (v: string | undefined, def: string[]) => (v === undefined ? def : v.split(',').map((s) => s.trim()).filter(Boolean));

const only = new Set(list(args.only, [...WORKLOADS]) as Workload[]);
for (const w of only) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}; choose from ${WORKLOADS.join(', ')}`);
const runs = num(args.runs, quick ? 1 : 3);
const rates = list(args.rates, ['500', '1000', '2000']).map(Number);
const durationS = num(args.duration, quick ? 3 : 10);
const burstJobs = num(args.burst, quick ? 5_000 : 50_000);
const schedules = num(args.schedules, quick ? 100_000 : 1_000_000);
const settleS = num(args['settle-s'], quick ? 5 : 20);
const httpRequests = num(args['http-requests'], quick ? 5_000 : 50_000);
const httpConcurrency = num(args['http-concurrency'], 100);
const peers = list(args.peers, PEERS) as TargetName[];
const rampTargets = list(args['ramp-targets'], ['tock']) as TargetName[];
const rampOpts = {
  startRate: num(args['ramp-start'], quick ? 1000 : 1000),
  factor: quick ? 2 : 1.5,
  maxRate: num(args['ramp-max'], quick ? 8000 : 20_000),
  durationS: quick ? 3 : 10,
  refine: quick ? 0 : 3,
  granularity: 50,
};
const enqueueOpts: EnqueueOptions = {
  // Short counts measure the warm-up (JIT, per-connection prepared statements) more than the
  // steady state: 5,000 creates after 500 measured about half of what 20,000 after 3,000 did.
  count: num(args['enqueue-count'], quick ? 5_000 : 20_000),
  warmup: num(args['enqueue-warmup'], quick ? 2_000 : 5_000),
  concurrency: num(args['enqueue-concurrency'], 50),
  batchSize: num(args['enqueue-batch'], 1_000),
  batches: quick ? 10 : 50,
  batchConcurrency: 4,
  poolSize: num(args['enqueue-pool'], 10),
  timerRate: 1_000,
  createRate: num(args['enqueue-rate'], 500),
  timerWindowS: quick ? 4 : 10,
};
const apiDialect = (args['api-dialect'] ?? 'fliq') as RestDialect;
if (!REST_DIALECTS.includes(apiDialect)) throw new Error(`unknown --api-dialect ${apiDialect}; choose from ${REST_DIALECTS.join(', ')}`);
const monitorsOpts: MonitorsOptions = {
  monitors: num(args.monitors, 10_000),
  rates: list(args['ping-rates'], quick ? ['500', '1000', '2000', '4000'] : ['500', '1000', '2000', '4000', '8000']).map(Number),
  stepS: num(args['ping-step-s'], quick ? 3 : 10),
  warmupS: quick ? 2 : 3,
  connections: 128,
  downMonitors: num(args['down-monitors'], 1_000),
  downWaitS: num(args['down-wait-s'], quick ? 5 : 10),
};
const out = args.out ?? fileURLToPath(new URL(quick ? './RESULTS.quick.md' : './RESULTS.md', import.meta.url));

const config: TargetConfig = {
  gwConcurrency: args['gw-concurrency'],
  gwPollMs: args['gw-poll-ms'],
  gwPool: args['gw-pool'],
  bossWorkers: args['boss-workers'],
  bossBatch: args['boss-batch'],
  bossPollS: args['boss-poll-s'],
  bossPool: args['boss-pool'],
  tockOptions: args['tock-options'],
};

const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const t0 = performance.now();
const log = (msg: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

interface Results {
  lateness: Map<string, LatenessResult[]>; // key `${target}@${rate}`
  recurring: Map<string, RecurringResult[]>; // key: ticks/s
  /** One-time jobs due together at each whole second, the recurring workload's shape; key: jobs/s. */
  sameShape: Map<string, LatenessResult[]>;
  minuteBurst: MinuteBurstResult[];
  /** One-time bursts run by the recurring workload beside its minute burst (when `burst` did not run). */
  oneTimeBurst: BurstResult[];
  enqueue: Map<string, EnqueueResult[]>; // key `${target}|${kind}`
  api: Map<string, EnqueueResult[]>; // key apiKey(client)
  monitorPings: MonitorsPingResult[];
  monitorDowns: MonitorsDownResult[];
  burst: Map<string, BurstResult[]>;
  ramp: Map<string, RampResult[]>;
  rss: RssResult[];
  http: HttpSummary[] | null;
  pending: Map<string, string>;
  errors: string[];
}

/** 1-minute load average, sampled every 5 s: shows whether something else competed for the cores. */
const loadSamples: number[] = [];

/** CPU time counters of the whole machine (/proc/stat, Linux): steal = time the hypervisor gave away. */
function cpuTimes(): { steal: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}
let cpuAtStart: { steal: number; total: number } | null = null;

/** The commit the bench ran at, with `+dirty` when the tree had uncommitted changes. */
function commitInfo(): string {
  try {
    const sha = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    return `${sha}${dirty ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}
const commit = commitInfo();

const results: Results = { lateness: new Map(), recurring: new Map(), sameShape: new Map(), minuteBurst: [], oneTimeBurst: [], enqueue: new Map(), api: new Map(), monitorPings: [], monitorDowns: [], burst: new Map(), ramp: new Map(), rss: [], http: null, pending: new Map(), errors: [] };

function push<T>(m: Map<string, T[]>, key: string, v: T): void {
  const a = m.get(key) ?? [];
  a.push(v);
  m.set(key, a);
}

/** Runs one cell; a pending target is remembered and skipped from then on; other errors are logged. */
async function cell<T>(target: TargetName, what: string, fn: () => Promise<T>): Promise<T | null> {
  if (results.pending.has(target)) return null;
  try {
    return await fn();
  } catch (err) {
    if (isPending(err)) {
      results.pending.set(target, (err as Error).message);
      log(`  ${target}: pending (${(err as Error).message})`);
    } else {
      const msg = `${target} ${what}: ${(err as Error).stack ?? err}`;
      results.errors.push(msg);
      log(`  ERROR ${msg}`);
    }
    return null;
  }
}

async function main(): Promise<void> {
  if (args['drop-stale']) {
    const dropped = await dropStaleBenchDatabases();
    if (dropped.length) log(`dropped stale databases: ${dropped.join(', ')}`);
  }
  const machine = await machineInfo(adminUrl());
  log(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgresShort}`);
  log(`workloads: ${[...only].join(', ')}; runs ${runs}${quick ? ' (quick)' : ''}; output ${out}`);
  const sink = await SinkClient.start();
  log(`sink: ${sink.url} (pid ${sink.rpc.pid})`);
  const ctx: BenchContext = { sink, config, quick, log };
  const started = new Date();
  loadSamples.push(os.loadavg()[0]);
  cpuAtStart = cpuTimes();
  const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]), 5000);
  loadTimer.unref();

  try {
    const schedTargets: TargetName[] = [];
    if (only.has('lateness') || only.has('burst')) schedTargets.push('tock');
    if (only.has('peers')) schedTargets.push(...peers);
    const doLateness = (t: TargetName) => (t === 'tock' ? only.has('lateness') : only.has('peers'));
    const doBurst = (t: TargetName) => (t === 'tock' ? only.has('burst') : only.has('peers'));

    // Runs are interleaved across targets (run 1 of every target, then run 2, ...).
    for (let run = 1; run <= runs; run++) {
      for (const target of schedTargets) {
        if (doLateness(target)) {
          for (const rate of rates) {
            log(`run ${run}/${runs} ${target}: lateness at ${rate}/s for ${durationS} s`);
            const r = await cell(target, `lateness ${rate}/s`, () => latenessCell(target, rate, durationS, ctx));
            if (r) {
              push(results.lateness, `${target}@${rate}`, r);
              log(`  p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms, max ${fmt(r.max, 1)} ms, delivered ${r.delivered}/${r.jobs}, dups ${r.duplicates}, slack ${fmt(r.slackMs)} ms`);
            }
          }
        }
        if (doBurst(target)) {
          log(`run ${run}/${runs} ${target}: burst of ${burstJobs} jobs`);
          const r = await cell(target, 'burst', () => burstCell(target, burstJobs, ctx));
          if (r) {
            push(results.burst, target, r);
            log(`  drain ${fmt(r.drainMs)} ms, first ${fmt(r.firstMs)} ms, ${fmt(r.throughput)}/s, delivered ${r.delivered}/${r.jobs}, dups ${r.duplicates}, slack ${fmt(r.slackMs)} ms`);
          }
        }
      }
    }

    if (only.has('ramp')) {
      for (let run = 1; run <= runs; run++) {
        for (const target of rampTargets) {
          log(`run ${run}/${runs} ${target}: ramp search from ${rampOpts.startRate}/s`);
          const r = await cell(target, 'ramp', () => rampSearch(target, rampOpts, ctx));
          if (r) {
            push(results.ramp, target, r);
            log(`  max sustained ${fmt(r.maxSustained)}/s (first failing ${fmt(r.firstFailing)}/s)`);
          }
        }
      }
    }

    if (only.has('rss')) {
      for (let run = 1; run <= runs; run++) {
        log(`run ${run}/${runs} tock: RSS with ${schedules.toLocaleString('en-US')} schedules`);
        const r = await cell('tock', 'rss', () => rssCell(schedules, settleS, ctx));
        if (r) {
          results.rss.push(r);
          log(`  RSS ${fmt(r.rssMB, 1)} MB (peak ${fmt(r.peakMB, 1)}, empty-database baseline ${fmt(r.baselineMB, 1)}) ${r.schedulerStats}`);
        }
      }
    }

    if (only.has('recurring')) {
      for (let run = 1; run <= runs; run++) {
        for (const rate of rates) {
          log(`run ${run}/${runs} tock: recurring, ${rate} every-second schedules for ${durationS} s`);
          const r = await cell('tock', `recurring ${rate}/s`, () => recurringCell(rate, durationS, ctx));
          if (r) {
            push(results.recurring, String(rate), r);
            log(`  p50 ${fmt(r.p50, 1)} ms, p90 ${fmt(r.p90, 1)} ms, p99 ${fmt(r.p99, 1)} ms, max ${fmt(r.max, 1)} ms, delivered ${r.delivered}/${r.ticks}, dups ${r.duplicates}, executions ${r.persisted}, slack ${fmt(r.slackMs)} ms`);
          }
          log(`run ${run}/${runs} tock: ${rate} one-time jobs due together at each second for ${durationS} s (the recurring shape)`);
          const o = await cell('tock', `same shape ${rate}/s`, () => sameShapeCell(rate, durationS, ctx));
          if (o) {
            push(results.sameShape, String(rate), o);
            log(`  p50 ${fmt(o.p50, 1)} ms, p99 ${fmt(o.p99, 1)} ms, max ${fmt(o.max, 1)} ms, delivered ${o.delivered}/${o.jobs}, dups ${o.duplicates}, slack ${fmt(o.slackMs)} ms`);
          }
        }
        log(`run ${run}/${runs} tock: minute burst of ${burstJobs} schedules`);
        const m = await cell('tock', 'minute burst', () => minuteBurstCell(burstJobs, ctx));
        if (m) {
          results.minuteBurst.push(m);
          log(`  drain ${fmt(m.drainMs)} ms, first ${fmt(m.firstMs)} ms, ${fmt(m.throughput)}/s, delivered ${m.delivered}/${m.schedules}, dups ${m.duplicates}, slack ${fmt(m.slackMs)} ms`);
        }
        if (!only.has('burst')) {
          log(`run ${run}/${runs} tock: one-time burst of ${burstJobs} jobs (beside the minute burst)`);
          const b = await cell('tock', 'burst', () => burstCell('tock', burstJobs, ctx));
          if (b) {
            results.oneTimeBurst.push(b);
            log(`  drain ${fmt(b.drainMs)} ms, delivered ${b.delivered}/${b.jobs}, dups ${b.duplicates}`);
          }
        }
      }
    }

    if (only.has('enqueue')) {
      const targets: TargetName[] = ['tock', ...peers];
      for (let run = 1; run <= runs; run++) {
        for (const target of targets) {
          log(`run ${run}/${runs} ${target}: enqueue ${enqueueOpts.count} creates, ${enqueueOpts.concurrency} in flight, then ${enqueueOpts.batches} batches of ${enqueueOpts.batchSize}`);
          const rs = await cell(target, 'enqueue', () => enqueueCell(target, enqueueOpts, ctx));
          for (const r of rs ?? []) {
            push(results.enqueue, `${target}|${r.kind}`, r);
            log(r.pending ? `  ${r.kind}: pending (${r.pending})` : `  ${r.kind}: ${fmt(r.jobsPerS)} jobs/s, p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms, errors ${r.errors}${r.firstError ? ` (${r.firstError})` : ''}`);
          }
        }
        if (!args['skip-enqueue-timer']) {
          log(`run ${run}/${runs} tock: creates at ${enqueueOpts.createRate}/s for ${enqueueOpts.timerWindowS} s while the timer fires ${enqueueOpts.timerRate}/s`);
          const r = await cell('tock', 'enqueue under timer', () => enqueueUnderTimerCell(enqueueOpts, ctx));
          if (r) {
            push(results.enqueue, `tock|${r.kind}`, r);
            log(`  ${fmt(r.callsPerS)} creates/s, p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms, errors ${r.errors}; timer p99 ${fmt(r.timerP99, 1)} ms, fired ${r.timerDelivered}/${r.timerJobs}`);
          }
        }
      }
    }

    if (only.has('api')) {
      for (let run = 1; run <= runs; run++) {
        // The dialect first, then gRPC, in every run: both meet the same machine state.
        for (const api of apiClients(apiDialect)) {
          log(`run ${run}/${runs} tock: ${apiLabel(api)} at ${enqueueOpts.createRate}/s for ${enqueueOpts.timerWindowS} s, then ${enqueueOpts.concurrency} in flight for ${enqueueOpts.timerWindowS} s, while the timer fires ${enqueueOpts.timerRate}/s`);
          const r = await cell('tock', `api ${apiKey(api)}`, () => apiCell(api, enqueueOpts, ctx));
          if (!r) continue;
          push(results.api, apiKey(api), r);
          log(
            r.pending
              ? `  pending (${r.pending})`
              : `  paced ${fmt(r.callsPerS)}/s p50 ${fmt(r.p50, 1)} ms p99 ${fmt(r.p99, 1)} ms, errors ${r.errors}${r.firstError ? ` (${r.firstError})` : ''}; highest ${fmt(r.maxCallsPerS ?? Number.NaN)}/s (p99 ${fmt(r.maxP99 ?? Number.NaN, 1)} ms, errors ${r.maxErrors ?? 0}); timer p99 ${fmt(r.timerP99, 1)} ms, fired ${r.timerDelivered}/${r.timerJobs}`,
          );
        }
      }
    }

    if (only.has('monitors')) {
      for (let run = 1; run <= runs; run++) {
        log(`run ${run}/${runs} tock: pings over ${monitorsOpts.monitors} monitors at ${monitorsOpts.rates.join(', ')}/s, ${monitorsOpts.stepS} s per step`);
        const p = await cell('tock', 'monitor pings', () => monitorPingCell(monitorsOpts, ctx));
        if (p) {
          results.monitorPings.push(p);
          log(`  highest held ${fmt(p.highestHeld)} pings/s`);
        }
        log(`run ${run}/${runs} tock: ${monitorsOpts.downMonitors} monitors missing their deadline in the same second (of ${monitorsOpts.monitors})`);
        const d = await cell('tock', 'monitor down', () => monitorDownCell(monitorsOpts, ctx));
        if (d) results.monitorDowns.push(d);
      }
    }

    if (only.has('http')) {
      log(`http clients: ${httpRequests} requests at concurrency ${httpConcurrency}, ${runs} run(s) each`);
      await sink.reset();
      results.http = await runHttpBench({ sinkUrl: sink.url, requests: httpRequests, concurrency: httpConcurrency, runs, log });
      await sink.reset();
    }
  } finally {
    clearInterval(loadTimer);
    await sink.close();
  }

  const finished = new Date();
  const md = report(machine, started, finished);
  await writeFile(out, md);
  await writeFile(out.replace(/\.md$/, '.json'), JSON.stringify(jsonResults(machine, started, finished), null, 2));
  console.log(`\n${md}`);
  log(`wrote ${out}`);
}

// ---------------------------------------------------------------------------------------------
// Report

function tockStatus(selected: boolean): string {
  if (results.pending.has('tock')) return `pending: ${results.pending.get('tock')}`;
  return selected ? 'no result (see errors)' : 'pending (not measured in this invocation)';
}

/** A line under a table whose Tock rows are missing, saying why. */
function pendingNote(hasTock: boolean, selected: boolean): string {
  if (hasTock) return '';
  return `\n\nTock: ${tockStatus(selected)}. Fill with \`npm run bench -- --only lateness,ramp,burst,rss,peers\`; ratios vs Tock need Tock and the peers in the same invocation.`;
}

function latenessSection(): string {
  const targets: TargetName[] = ['tock', ...peers];
  const rows: Cell[][] = [];
  for (const rate of rates) {
    const tockRuns = results.lateness.get(`tock@${rate}`);
    const tock = tockRuns ? medianOfRuns(tockRuns) : null;
    for (const t of targets) {
      const rs = results.lateness.get(`${t}@${rate}`);
      if (!rs) {
        if (t === 'tock') rows.push([t, fmt(rate), '', 'pending', 'pending', 'pending', '', '', '', '', '']);
        continue;
      }
      const m = medianOfRuns(rs);
      rows.push([
        t,
        fmt(rate),
        fmt(m.jobs),
        fmt(m.p50, 1),
        fmt(m.p99, 1),
        fmt(m.max, 1),
        rs.map((r) => fmt(r.p99, 0)).join(' / '),
        `${fmt(median(rs.map((r) => r.delivered)))} / ${fmt(rs.reduce((a, r) => a + r.duplicates, 0))}`,
        `${fmt(median(rs.map((r) => r.persisted)))} (+${fmt(median(rs.map((r) => r.persistedMs)))} ms)`,
        t === 'tock' ? '1.00×' : tock ? ratio(m.p50, tock.p50) : 'pending',
        t === 'tock' ? '1.00×' : tock ? ratio(m.p99, tock.p99) : 'pending',
      ]);
    }
  }
  return (
    markdownTable(
      ['target', 'fires/s', 'jobs', 'p50 ms', 'p99 ms', 'max ms', 'p99 per run', 'delivered / dups', 'persisted (after last due)', 'p50 vs Tock', 'p99 vs Tock'],
      rows,
    ) + pendingNote(rates.some((r) => results.lateness.has(`tock@${r}`)), only.has('lateness'))
  );
}

function burstSection(): string {
  const targets: TargetName[] = ['tock', ...peers];
  const tockRuns = results.burst.get('tock');
  const tock = tockRuns ? medianOfRuns(tockRuns) : null;
  const rows: Cell[][] = [];
  for (const t of targets) {
    const rs = results.burst.get(t);
    if (!rs) {
      if (t === 'tock') rows.push([t, fmt(burstJobs), 'pending', '', 'pending', 'pending', '', '', '', '']);
      continue;
    }
    const m = medianOfRuns(rs);
    rows.push([
      t,
      fmt(m.jobs),
      fmt(m.drainMs),
      rs.map((r) => fmt(r.drainMs)).join(' / '),
      fmt(m.firstMs),
      fmt(m.throughput),
      fmt(m.rssMB, 0),
      `${fmt(median(rs.map((r) => r.delivered)))} / ${fmt(rs.reduce((a, r) => a + r.duplicates, 0))}`,
      `${fmt(median(rs.map((r) => r.persisted)))} at ${fmt(median(rs.map((r) => r.persistedMs)))} ms`,
      t === 'tock' ? '1.00×' : tock ? ratio(m.drainMs, tock.drainMs) : 'pending',
    ]);
  }
  return (
    markdownTable(
      ['target', 'jobs', 'drain ms (median)', 'drain per run', 'first delivery ms', 'deliveries/s', 'RSS MB after', 'delivered / dups', 'persisted', 'drain vs Tock'],
      rows,
    ) + pendingNote(results.burst.has('tock'), only.has('burst'))
  );
}

function rampSection(): string {
  const rows: Cell[][] = [];
  for (const t of rampTargets) {
    const rs = results.ramp.get(t);
    if (!rs) {
      rows.push([t, t === 'tock' ? 'pending' : 'no result', '', '', '']);
      continue;
    }
    rows.push([
      t,
      fmt(median(rs.map((r) => r.maxSustained))),
      rs.map((r) => fmt(r.maxSustained)).join(' / '),
      fmt(median(rs.map((r) => r.firstFailing))),
      fmt(median(rs.map((r) => r.p99AtMax)), 1),
    ]);
  }
  const table = markdownTable(['target', 'max sustained fires/s (median)', 'per run', 'first failing fires/s', 'p99 ms at max'], rows);
  const steps = [...results.ramp.entries()]
    .map(([t, rs]) =>
      rs
        .map((r, i) => `- ${t} run ${i + 1}: ${r.steps.map((s) => `${s.rate}/s ${s.pass ? 'pass' : 'fail'} (p99 ${fmt(s.p99)} ms, ${s.delivered}/${s.jobs} delivered, ${fmt(s.persisted)} persisted)`).join(', ')}`)
        .join('\n'),
    )
    .join('\n');
  return `${table}${steps ? `\n\nSteps:\n${steps}` : ''}${rampTargets.includes('tock') ? pendingNote(results.ramp.has('tock'), true) : ''}`;
}

function rssSection(): string {
  if (results.rss.length === 0) {
    return markdownTable(['target', 'schedules', 'RSS MB'], [['tock', fmt(schedules), 'pending']]) + pendingNote(false, true);
  }
  const m = medianOfRuns(results.rss);
  return markdownTable(
    ['target', 'schedules stored', 'RSS MB (median)', 'peak MB', 'empty-database baseline MB', 'settle s', 'seed s', 'scheduler stats (last run)'],
    [[
      'tock',
      fmt(m.schedules),
      fmt(m.rssMB, 1),
      fmt(m.peakMB, 1),
      fmt(m.baselineMB, 1),
      fmt(m.settleS),
      fmt(m.seedMs / 1000, 1),
      results.rss[results.rss.length - 1].schedulerStats || '–',
    ]],
  );
}

function tuningSection(): string {
  const lines: string[] = [];
  for (const [name, t] of tuningSeen) {
    lines.push(`- **${name}**: ${Object.entries(t).map(([k, v]) => `${k} = ${v}`).join(', ')}`);
  }
  return lines.length ? lines.join('\n') : '- (no scheduler target ran)';
}

function report(machine: MachineInfo, started: Date, finished: Date): string {
  const minutes = ((finished.getTime() - started.getTime()) / 60_000).toFixed(1);
  const ran = (w: Workload) => only.has(w);
  const notRun = '_Not run in this invocation._';
  const s: string[] = [];
  s.push(`# Tock benchmark results${quick ? ' (quick smoke run: small sizes, not for comparison)' : ''}`);
  s.push('');
  s.push(`Produced by \`${command}\` at commit ${commit} on ${started.toISOString()} (${minutes} min). Medians of ${runs} run(s) per cell.`);
  s.push('');
  s.push('## Machine');
  s.push('');
  s.push(machineMarkdown(machine));
  if (loadSamples.length) {
    s.push(
      `- 1-min load average during the run (sampled every 5 s): start ${loadSamples[0].toFixed(2)}, median ${median(loadSamples).toFixed(2)}, max ${Math.max(...loadSamples).toFixed(2)} (the bench itself keeps ~1-2 cores busy; more means other processes competed)`,
    );
  }
  const cpuNow = cpuTimes();
  if (cpuAtStart && cpuNow && cpuNow.total > cpuAtStart.total) {
    const steal = (100 * (cpuNow.steal - cpuAtStart.steal)) / (cpuNow.total - cpuAtStart.total);
    s.push(`- CPU steal during the run: ${steal.toFixed(1)}% of all CPU time (time the hypervisor gave to other guests; it slows every target alike)`);
  }
  s.push('');
  s.push(`## 1 + 5. Fire lateness (${durationS} s of evenly spread due times per cell)`);
  s.push('');
  s.push('Lateness = arrival at the sink (sink clock) - due time. Ratios are peer / Tock (above 1 = the peer is later).');
  s.push('');
  s.push(ran('lateness') || ran('peers') ? latenessSection() : notRun);
  s.push('');
  s.push('## 2. Highest sustained fires/s');
  s.push('');
  s.push(
    `Pass = every job delivered and recorded as done in the target's storage (Tock: an execution row each), p99 lateness < 1 s, and the latest-due fifth's median lateness at most 250 ms above the earliest-due fifth's (no growing backlog). Step search from ${rampOpts.startRate}/s ×${rampOpts.factor} up to ${rampOpts.maxRate}/s, ${rampOpts.durationS} s per step, then ${rampOpts.refine} bisection step(s) (granularity ${rampOpts.granularity}/s).`,
  );
  s.push('');
  s.push(ran('ramp') ? rampSection() : notRun);
  s.push('');
  s.push(`## 3 + 5. Burst: ${fmt(burstJobs)} jobs due at the same instant`);
  s.push('');
  s.push('Drain = last arrival at the sink - the due time. Ratio is peer / Tock.');
  s.push('');
  s.push(ran('burst') || ran('peers') ? burstSection() : notRun);
  s.push('');
  s.push(`## 4. Scheduler RSS with ${fmt(schedules)} active schedules stored`);
  s.push('');
  s.push(ran('rss') ? rssSection() : notRun);
  s.push('');
  s.push(`## 6. HTTP client: POST to the sink, concurrency ${httpConcurrency}, ${fmt(httpRequests)} requests per run`);
  s.push('');
  s.push(results.http ? httpTable(results.http) : notRun);
  s.push('');
  s.push(`## 7. Recurring ticks: schedules with cron \`* * * * * *\`, ${durationS} s of due seconds per cell`);
  s.push('');
  s.push(
    'N schedules stored ahead (as ScheduleService.create stores them, next_run_at = the first whole second after the lead) give N ticks per second. Lateness = arrival at the sink - the tick\'s second (`x-tock-scheduled-at`); ids are `webhook-id` (the tick\'s job id). Only ticks due inside the window are counted. The last two columns compare with one-time jobs: at the same rate spread evenly over each second (`lateness`, when run in the same invocation), and the same number due together at each whole second (this workload\'s own cell: the recurring ticks\' shape, like for like).',
  );
  s.push('');
  s.push(ran('recurring') ? recurringSection({ rates, recurring: results.recurring, oneTime: results.lateness, sameShape: results.sameShape }) : notRun);
  s.push('');
  s.push(`### Minute burst: ${fmt(burstJobs)} schedules due at the same second, beside as many one-time jobs`);
  s.push('');
  s.push('Drain = last arrival at the sink - the due second.');
  s.push('');
  s.push(ran('recurring') ? minuteBurstSection({ size: burstJobs, minute: results.minuteBurst, oneTime: results.burst.get('tock') ?? results.oneTimeBurst }) : notRun);
  s.push('');
  s.push(`## 8. Enqueue: API creates, ${enqueueOpts.concurrency} in flight, ${fmt(enqueueOpts.count)} measured after ${fmt(enqueueOpts.warmup)} warm-up`);
  s.push('');
  s.push(
    `Each system through its own client, same PostgreSQL, ${enqueueOpts.poolSize} database connections each (Tock's default TOCK_DB_POOL_SIZE), jobs due in an hour. Tock: a server from \`startTock\` with TOCK_SCHEDULER=false in its own process, called over gRPC from a driver process; the peers' clients (libraries on PostgreSQL) run in that driver process. Batches: ${fmt(enqueueOpts.batches)} calls of ${fmt(enqueueOpts.batchSize)} jobs, ${enqueueOpts.batchConcurrency} in flight. Latency is per call. "Tock / target" = Tock's jobs/s over the target's (above 1 = Tock is faster). The second table: creates paced at ${enqueueOpts.createRate}/s for ${enqueueOpts.timerWindowS} s (latency from each create's planned start) while the same node's timer fires ${enqueueOpts.timerRate} one-time jobs/s.`,
  );
  s.push('');
  s.push(ran('enqueue') ? enqueueSection(results.enqueue, ['tock', ...peers], enqueueOpts) : notRun);
  s.push('');
  s.push(`## 9. REST gateway: creates through the ${apiDialect} dialect beside gRPC while the timer fires ${fmt(enqueueOpts.timerRate)}/s`);
  s.push('');
  s.push(
    `Each client in its own cell: a fresh database, a Tock server from \`startTock\` with its scheduler on (the per-key API rate limit lifted) in its own process, the driver in another. The timer fires ${fmt(enqueueOpts.timerRate)} one-time jobs/s to the sink throughout; creates (jobs due in an hour) are paced at ${fmt(enqueueOpts.createRate)}/s for ${enqueueOpts.timerWindowS} s (latency from each create's planned start), then a closed loop of ${enqueueOpts.concurrency} in flight runs for ${enqueueOpts.timerWindowS} s: the highest create rate the node holds while firing. "REST / gRPC" = the dialect's p99 and highest rate over gRPC's (p99 above 1 = the gateway adds latency; rate below 1 = it holds less).`,
  );
  s.push('');
  s.push(ran('api') ? apiSection(results.api, apiDialect, enqueueOpts) : notRun);
  s.push('');
  s.push(`## 10. Heartbeat monitors: pings over HTTP at rising rates, and ${fmt(monitorsOpts.downMonitors)} deadlines in the same second`);
  s.push('');
  s.push(
    `Each cell: a fresh database, a Tock server from \`startTock\` (scheduler on) in its own process with the ping rate limits lifted, and a ping driver in another (undici keep-alive pool, ${monitorsOpts.connections} connections, \`GET /ping/<token>\`). Pings: ${fmt(monitorsOpts.monitors)} monitors stored with SQL, ${monitorsOpts.warmupS} s of warm-up at ${fmt(monitorsOpts.rates[0])}/s, then ${monitorsOpts.stepS} s per step, paced, round-robin over the monitors (a step stops sending once 5 s of its pings are out unanswered, and the ramp stops after a step that answered under half its rate); latency from each ping's planned send time; "persisted" = the step's growth of the ping log and of the monitors' ping_count, counted after the step; CPU µs/ping = user + system time over the step per ping answered of the server process and of the PostgreSQL backends connected to its database (Linux /proc; other load on the machine moves it far less than latency). Down: ${fmt(monitorsOpts.downMonitors)} monitors (period 1 s, grace 1 s) among ${fmt(monitorsOpts.monitors)} pinged once in one burst at a whole second; late = the \`at\` of each one's first \`monitor.down\` flip - its deadline (last ping + period + grace); the wait ends ${monitorsOpts.downWaitS} s after the last deadline. Goals: ≥ 2,000 pings/s held, p99 ≤ 25 ms, every down within 2 s.`,
  );
  s.push('');
  s.push(ran('monitors') ? monitorsSection(results.monitorPings, results.monitorDowns, monitorsOpts) : notRun);
  s.push('');
  s.push('## How each target was set up');
  s.push('');
  s.push(tuningSection());
  s.push('');
  s.push(NOTES);
  if (results.errors.length) {
    s.push('');
    s.push('## Errors');
    s.push('');
    for (const e of results.errors) s.push(`- ${e.split('\n')[0]}`);
  }
  s.push('');
  return s.join('\n');
}

const NOTES = `## Method and notes

- One loopback sink (node:http, keep-alive) runs in its own process and stamps each request with
  \`performance.timeOrigin + performance.now()\` when its headers are parsed; due times travel in
  \`x-due-at\` (Unix ms) or Tock's \`x-tock-scheduled-at\`, ids in \`x-job-id\` (or \`webhook-id\`).
  Everything runs on one machine, so the sink, the schedulers and PostgreSQL share the same clock
  and the same ${os.cpus().length} cores.
- Each cell: a fresh database (\`create database bench_<target>_<cell>_<rand>\`, dropped after), a
  fresh child process for the target, jobs bulk-inserted ahead of their due time, then the worker
  or scheduler starts; the first job is due only after the insert and the start (\`leadMs\` =
  3 s + 0.15 ms per job; the slack is checked and logged).
- Peers call the sink from the same handler (\`bench/lib/handler.ts\`: \`undici.request\` on one
  shared \`undici.Agent\` with 64 connections, pipelining 1, the same limits as Tock's executor).
- graphile-worker picks up jobs stored ahead only when a worker polls: lateness is bounded below
  by its \`pollInterval\` (with N idle workers whose timers drift apart, ~pollInterval/N).
  pg-boss 10 polls each \`work()\` loop every \`pollingIntervalSeconds\` (minimum 0.5 s in v10) and
  sleeps that interval minus the batch time even when busy, so capacity is ~loops × batchSize /
  interval and lateness is bounded below by interval / loops. Tock claims ahead and fires from an
  in-memory timer, so its lateness does not depend on a poll.
- Ramp pass rule: everything delivered within 60 s of the last due time and recorded as done in
  the target's own storage within 30 s after that (Tock: one execution row per job; pg-boss: jobs
  \`completed\`; graphile-worker: jobs gone from its queue), p99 < 1 s, and no growing backlog
  (median lateness of the latest-due fifth ≤ that of the earliest-due fifth + 250 ms). "persisted"
  columns give that count and when it was reached.
- The HTTP client comparison runs each client in a fresh process with a warm-up; all clients hit
  the same single-process sink, so absolute numbers are bounded by the sink; the ratio is the point.
  undici.request is what Tock's executor uses: it skips the WHATWG fetch layer (Request/Response
  objects, web streams) that undici.fetch, Node's global fetch and node-fetch pay per call.
- \`--quick\` writes \`bench/RESULTS.quick.md\` so a smoke run never overwrites the full results.`;

function jsonResults(machine: MachineInfo, started: Date, finished: Date) {
  return {
    command,
    started: started.toISOString(),
    finished: finished.toISOString(),
    machine,
    loadAverage1m: loadSamples,
    options: { runs, quick, rates, durationS, burstJobs, schedules, settleS, httpRequests, httpConcurrency, peers, rampTargets, rampOpts, config },
    tuning: Object.fromEntries(tuningSeen),
    lateness: Object.fromEntries(results.lateness),
    recurring: Object.fromEntries(results.recurring),
    sameShape: Object.fromEntries(results.sameShape),
    minuteBurst: results.minuteBurst,
    oneTimeBurst: results.oneTimeBurst,
    enqueue: Object.fromEntries(results.enqueue),
    enqueueOptions: enqueueOpts,
    api: Object.fromEntries(results.api),
    apiDialect,
    monitorsOptions: monitorsOpts,
    monitorPings: results.monitorPings,
    monitorDowns: results.monitorDowns,
    burst: Object.fromEntries(results.burst),
    ramp: Object.fromEntries(results.ramp),
    rss: results.rss,
    http: results.http,
    httpClients: HTTP_CLIENTS,
    pending: Object.fromEntries(results.pending),
    errors: results.errors,
  };
}

await main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
