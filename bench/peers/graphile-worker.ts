/**
 * graphile-worker 0.16.x as a bench peer.
 *
 * How it finds due work: each of `concurrency` workers runs `get_job` in a loop; after a job it
 * asks again at once, and when nothing is due it sleeps `pollInterval` ms (a LISTEN on
 * `jobs:insert` only nudges idle workers for jobs inserted *now*, not for future `run_at`). So for
 * jobs stored ahead of time the pick-up delay is bounded by `pollInterval` (and, with N idle
 * workers whose timers drift apart, is typically ~pollInterval/N). Each job costs one `get_job`
 * and one `complete_job` round trip (0.16 has no batched fetch/complete).
 *
 * Tuning (defaults here; override with --gw-concurrency / --gw-poll-ms / --gw-pool):
 * - concurrency 32 (default 1). Sweep on the bench machine (single runs): 16 workers could not
 *   keep up with 2,000/s (p99 1.5 s); 32 and 64 were within noise of each other (2,000/s p99
 *   385 vs 369 ms, 1,000/s p99 89 vs 120 ms, 50k burst 30.4 vs 27.0 s): throughput is bounded by
 *   one get_job + one complete_job round trip per job on 2 cores shared with PostgreSQL.
 * - pollInterval 100 ms (default 2000): lateness floor; each idle worker costs 10 queries/s.
 * - prepared statements ON (`noPreparedStatements: false`, the default).
 * - pool = concurrency + 4 connections (workers + LISTEN + reset-locked + slack).
 * - jobs inserted with one `graphile_worker.add_jobs(job_spec[])` call per 5,000 jobs,
 *   max_attempts 1 (Tock bench jobs have no retries either).
 */
import { Logger, run, runMigrations, type Runner } from 'graphile-worker';
import pg from 'pg';
import { callSink, closeSinkAgent, type SinkJob } from '../lib/handler.js';
import type { BenchJob, BenchTarget, TargetConfig } from '../targets/types.js';

const quietLogger = new Logger(() => (level, message) => {
  if (level === 'error') console.error(`[graphile-worker] ${message}`);
});

export class GraphileWorkerTarget implements BenchTarget {
  readonly name = 'graphile-worker';
  readonly concurrency: number;
  readonly pollInterval: number;
  readonly poolSize: number;
  #dbUrl = '';
  #sinkUrl = '';
  #pool: pg.Pool | null = null;
  #runner: Runner | null = null;
  #stored = 0;

  constructor(config: TargetConfig = {}) {
    this.concurrency = Number(config.gwConcurrency ?? 32);
    this.pollInterval = Number(config.gwPollMs ?? 100);
    this.poolSize = Number(config.gwPool ?? this.concurrency + 4);
  }

  tuning() {
    return {
      version: '0.16.6',
      concurrency: this.concurrency,
      pollIntervalMs: this.pollInterval,
      preparedStatements: true,
      poolSize: this.poolSize,
      insert: 'graphile_worker.add_jobs(job_spec[]) per 5000',
    };
  }

  async setup(dbUrl: string, sinkUrl: string): Promise<void> {
    this.#dbUrl = dbUrl;
    this.#sinkUrl = sinkUrl;
    this.#pool = new pg.Pool({ connectionString: dbUrl, max: this.poolSize });
    await runMigrations({ pgPool: this.#pool, logger: quietLogger });
  }

  async scheduleAt(jobs: BenchJob[]): Promise<void> {
    const pool = this.#pool;
    if (!pool) throw new Error('setup first');
    for (let i = 0; i < jobs.length; i += 5000) {
      const chunk = jobs.slice(i, i + 5000);
      await pool.query(
        `select count(*) from graphile_worker.add_jobs(array(
           select row('sink', json_build_object('id', t.id, 'dueAtMs', t.due), null,
                      to_timestamp(t.due / 1000.0), 1, null, null, null)::graphile_worker.job_spec
           from unnest($1::text[], $2::float8[]) with ordinality as t(id, due, ord) order by t.ord))`,
        [chunk.map((j) => j.id), chunk.map((j) => j.dueAtMs)],
      );
      this.#stored += chunk.length;
    }
  }

  async start(): Promise<void> {
    const sinkUrl = this.#sinkUrl;
    this.#runner = await run({
      pgPool: this.#pool!,
      concurrency: this.concurrency,
      pollInterval: this.pollInterval,
      noPreparedStatements: false,
      noHandleSignals: true,
      logger: quietLogger,
      taskList: {
        sink: async (payload) => {
          await callSink(sinkUrl, payload as SinkJob);
        },
      },
    });
  }

  /** Jobs stored minus jobs still queued (graphile-worker deletes a job once it succeeded). */
  async finished(): Promise<number> {
    const pool = this.#pool;
    if (!pool) throw new Error('setup first');
    const r = await pool.query<{ n: number }>(`select count(*)::int as n from graphile_worker._private_jobs`);
    return this.#stored - r.rows[0].n;
  }

  async stop(): Promise<void> {
    const runner = this.#runner;
    this.#runner = null;
    if (runner) await runner.stop().catch(() => {});
    await closeSinkAgent();
    const pool = this.#pool;
    this.#pool = null;
    await pool?.end().catch(() => {});
  }

  rssBytes(): number {
    return process.memoryUsage().rss;
  }

  get dbUrl(): string {
    return this.#dbUrl;
  }
}
