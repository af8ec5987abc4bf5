/**
 * pg-boss 10.x as a bench peer.
 *
 * How it finds due work: each `boss.work()` call is one polling loop: fetch up to `batchSize`
 * jobs whose `start_after < now()` (SKIP LOCKED), run the handler on the batch, complete them
 * (one statement, not awaited by the loop), then sleep `pollingIntervalSeconds` minus the time
 * the batch took (no sleep if that is under 100 ms). v10's minimum interval is 0.5 s, and v10 has
 * no `teamSize`/`teamConcurrency`/`localConcurrency` (those are v9 / v11 names): concurrency is
 * the number of `work()` loops times `batchSize`. So the pick-up delay of a job stored ahead is
 * bounded by the polling interval; with W loops started interval/W apart it is ~interval/W.
 *
 * Tuning (defaults here; override with --boss-workers / --boss-batch / --boss-poll-s / --boss-pool):
 * - 8 `work()` loops, started 62.5 ms apart (pollingInterval 0.5 s / 8), so someone polls every
 *   ~62 ms;
 * - batchSize 200: a loop handles a batch at most every 0.5 s, so capacity ~ loops x batch x 2
 *   per second = 3,200/s at 8 x 200. Chosen by a sweep on the bench machine (single runs,
 *   2,000/s lateness p99 and 50k burst drain): 4x200 could not keep up with 2,000/s (p99 3.3 s);
 *   4x500 drained 50k in 18.5 s, 8x500 in 29 s (bigger batches wait for their slowest call and
 *   crowd the 64 sink connections), 8x200 in 15.9 s with 2,000/s p99 92 ms;
 * - the batch's sink calls run concurrently (Promise.all) on the shared undici agent;
 * - queue policy 'standard', retryLimit 0; `schedule: false` (no cron), maintenance left on
 *   (pg-boss defaults); jobs inserted with `boss.insert()` (one INSERT ... json_to_recordset per
 *   5,000 jobs).
 */
import PgBoss from 'pg-boss';
import { callSink, closeSinkAgent, type SinkJob } from '../lib/handler.js';
import type { BenchJob, BenchTarget, TargetConfig } from '../targets/types.js';

const QUEUE = 'bench';

export class PgBossTarget implements BenchTarget {
  readonly name = 'pg-boss';
  readonly workers: number;
  readonly batchSize: number;
  readonly pollingIntervalSeconds: number;
  readonly poolSize: number;
  #boss: PgBoss | null = null;
  #sinkUrl = '';
  #timers: NodeJS.Timeout[] = [];

  constructor(config: TargetConfig = {}) {
    this.workers = Number(config.bossWorkers ?? 8);
    this.batchSize = Number(config.bossBatch ?? 200);
    this.pollingIntervalSeconds = Number(config.bossPollS ?? 0.5);
    this.poolSize = Number(config.bossPool ?? this.workers + 6);
  }

  tuning() {
    return {
      version: '10.4.2',
      workLoops: this.workers,
      batchSize: this.batchSize,
      pollingIntervalSeconds: this.pollingIntervalSeconds,
      staggerMs: Math.round((this.pollingIntervalSeconds * 1000) / this.workers),
      poolSize: this.poolSize,
      insert: 'boss.insert() per 5000',
    };
  }

  async setup(dbUrl: string, sinkUrl: string): Promise<void> {
    this.#sinkUrl = sinkUrl;
    const boss = new PgBoss({
      connectionString: dbUrl,
      max: this.poolSize,
      schedule: false,
      pollingIntervalSeconds: this.pollingIntervalSeconds,
    });
    boss.on('error', (err: unknown) => console.error('[pg-boss]', (err as Error)?.message ?? err));
    await boss.start();
    await boss.createQueue(QUEUE, { name: QUEUE, policy: 'standard', retryLimit: 0 });
    this.#boss = boss;
  }

  async scheduleAt(jobs: BenchJob[]): Promise<void> {
    const boss = this.#boss;
    if (!boss) throw new Error('setup first');
    for (let i = 0; i < jobs.length; i += 5000) {
      await boss.insert(
        jobs.slice(i, i + 5000).map((j) => ({
          name: QUEUE,
          data: { id: j.id, dueAtMs: j.dueAtMs },
          startAfter: new Date(j.dueAtMs),
          retryLimit: 0,
        })),
      );
    }
  }

  async start(): Promise<void> {
    const boss = this.#boss!;
    const sinkUrl = this.#sinkUrl;
    const handler = async (jobs: PgBoss.Job<SinkJob>[]) => {
      await Promise.all(jobs.map((j) => callSink(sinkUrl, j.data)));
    };
    const opts = { batchSize: this.batchSize, pollingIntervalSeconds: this.pollingIntervalSeconds };
    const stagger = (this.pollingIntervalSeconds * 1000) / this.workers;
    await boss.work<SinkJob>(QUEUE, opts, handler);
    for (let i = 1; i < this.workers; i++) {
      this.#timers.push(
        setTimeout(() => {
          if (this.#boss) boss.work<SinkJob>(QUEUE, opts, handler).catch((e) => console.error('[pg-boss] work', e));
        }, i * stagger),
      );
    }
  }

  /** Jobs in state `completed` (pg-boss keeps them until its archive interval, hours). */
  async finished(): Promise<number> {
    const boss = this.#boss;
    if (!boss) throw new Error('setup first');
    const r = await boss.getDb().executeSql(`select count(*)::int as n from pgboss.job where name = $1 and state = 'completed'`, [QUEUE]);
    return (r.rows[0] as { n: number }).n;
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    const boss = this.#boss;
    this.#boss = null;
    if (boss) await boss.stop({ graceful: true, close: true, wait: true, timeout: 10_000 }).catch(() => {});
    await closeSinkAgent();
  }

  rssBytes(): number {
    return process.memoryUsage().rss;
  }
}
