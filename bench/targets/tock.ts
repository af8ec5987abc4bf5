/**
 * ADAPTER: drives Tock's own scheduler (server/timer) for the bench.
 *
 * - setup: `Database.connect({ url }).migrate()` on the fresh database, then one account and one
 *   project (with a signing secret; Tock signs every call).
 * - scheduleAt: one-time jobs inserted with SQL into `jobs` exactly as `JobService.createOrGet`
 *   would store them (id `newId('job')`, `shard = shardOf(id)`, source 'api', status 'scheduled',
 *   `next_attempt_at = scheduled_at`, the SCHEDULE_DEFAULTS timeouts, no retries), with the bench
 *   headers `x-due-at` / `x-job-id` in the job's `headers` (the timer forwards them; it adds
 *   `x-tock-scheduled-at` and `webhook-id` itself). Jobs are inserted before `start()`, so the
 *   scheduler's first refill loads them; no wake is needed.
 * - start: `startScheduler({ db, databaseUrl, executor, logger, options })` from
 *   server/timer/index.ts with `executor = new HttpExecutor({ policy: new TargetPolicy(['127.0.0.1/32', 'localhost']) })`.
 * - seedSchedules: 1,000,000-row `insert ... select generate_series` for the RSS workload.
 * - seedRecurring: every-second (or one-minute) cron schedules stored ahead for the recurring
 *   workload, as `ScheduleService.create` stores them.
 *
 * The timer module is imported dynamically through a variable specifier so that bench/ still
 * type-checks and the peers still run while the timer is missing or its API changes; the shape
 * this adapter relies on is `TimerModule` below. If `startScheduler` is absent, `start()` throws
 * a TargetPendingError and the orchestrator reports Tock rows as "pending".
 */
import { performance } from 'node:perf_hooks';
import { newId } from '../../server/core/ids.js';
import { shardOf } from '../../server/core/shard.js';
import { HttpExecutor, TargetPolicy, generateSigningSecret } from '../../server/executor/index.js';
import { Database } from '../../server/store/database.js';
import type { BenchJob, BenchTarget, TargetConfig } from './types.js';
import { TargetPendingError } from './types.js';

/** What the adapter needs from server/timer/index.ts (structural, checked at runtime). */
interface TimerModule {
  startScheduler(input: {
    db: Database;
    databaseUrl: string | null;
    executor: { execute: HttpExecutor['execute'] };
    logger: TimerLogger;
    options?: Record<string, unknown>;
  }): Promise<RunningTimer>;
}

interface RunningTimer {
  stop(deadlineMs?: number): Promise<void>;
  stats?(): Record<string, unknown> | Promise<Record<string, unknown>>;
}

type LogFn = (obj: object, msg?: string) => void;
interface TimerLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const TIMER_MODULE = '../../server/timer/index.js';

const benchLogger: TimerLogger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => console.error('[tock warn]', msg ?? '', JSON.stringify(obj)),
  error: (obj, msg) => console.error('[tock error]', msg ?? '', JSON.stringify(obj)),
};

async function loadTimer(): Promise<TimerModule> {
  let mod: Partial<TimerModule>;
  try {
    mod = (await import(TIMER_MODULE)) as Partial<TimerModule>;
  } catch (err) {
    throw new TargetPendingError(`server/timer/index.ts could not be loaded (${(err as Error).message})`);
  }
  if (typeof mod.startScheduler !== 'function') {
    throw new TargetPendingError('server/timer/index.ts does not export startScheduler({ db, databaseUrl, executor, logger, options })');
  }
  return mod as TimerModule;
}

/**
 * One-time jobs as `JobService.createOrGet` stores them (see the header), in statements of
 * 5,000 rows, in project `projectId`, calling `sinkUrl`.
 */
export async function insertOneTimeJobs(db: Database, projectId: string, sinkUrl: string, jobs: BenchJob[]): Promise<void> {
  for (let i = 0; i < jobs.length; i += 5000) {
    const chunk = jobs.slice(i, i + 5000);
    // Database.execute binds through knex, which expands a JS array into a comma list: rows travel as one JSON parameter.
    const rows = chunk.map((j) => {
      const id = newId('job');
      return { id, shard: shardOf(id), due: Math.round(j.dueAtMs), bench_id: j.id };
    });
    await db.execute(
      `insert into jobs (id, project_id, shard, source, url, method, headers, body, scheduled_at, timeout_ms, max_retries,
                         retry_backoff_ms, retry_backoff_max_ms, expected_status, status, next_attempt_at)
       select t.id, ?, t.shard, 'api', ?, 'POST',
              jsonb_build_object('x-due-at', t.due::text, 'x-job-id', t.bench_id), null,
              to_timestamp(t.due / 1000.0), 30000, 0, 1000, 300000, '[]'::jsonb, 'scheduled', to_timestamp(t.due / 1000.0)
       from jsonb_to_recordset(?::jsonb) as t(id text, shard int, due bigint, bench_id text)`,
      [projectId, sinkUrl, JSON.stringify(rows)],
    );
  }
}

export class TockTarget implements BenchTarget {
  readonly name = 'tock';
  readonly timerOptions: Record<string, unknown>;
  readonly poolSize: number;
  #db: Database | null = null;
  #dbUrl = '';
  #sinkUrl = '';
  #projectId = '';
  #executor: HttpExecutor | null = null;
  #timer: RunningTimer | null = null;

  constructor(config: TargetConfig = {}) {
    this.timerOptions = config.tockOptions ? (JSON.parse(String(config.tockOptions)) as Record<string, unknown>) : {};
    this.poolSize = Number(config.tockPool ?? 10);
  }

  tuning() {
    return {
      timerOptions: Object.keys(this.timerOptions).length ? JSON.stringify(this.timerOptions) : 'defaults',
      executor: 'HttpExecutor defaults (64 per origin, 512 in flight)',
      poolSize: this.poolSize,
    };
  }

  async setup(dbUrl: string, sinkUrl: string): Promise<void> {
    this.#dbUrl = dbUrl;
    this.#sinkUrl = sinkUrl;
    const db = await Database.connect({ url: dbUrl, poolSize: this.poolSize });
    this.#db = db;
    await db.migrate();
    const accountId = newId('account');
    this.#projectId = newId('project');
    await db.execute(`insert into accounts (id, name) values (?, 'bench')`, [accountId]);
    await db.execute(`insert into projects (id, account_id, name, signing_secret) values (?, ?, 'bench', ?)`, [
      this.#projectId,
      accountId,
      generateSigningSecret(),
    ]);
  }

  async scheduleAt(jobs: BenchJob[]): Promise<void> {
    if (!this.#db) throw new Error('setup first');
    await insertOneTimeJobs(this.#db, this.#projectId, this.#sinkUrl, jobs);
  }

  /**
   * Recurring workload: `count` active cron schedules stored as `ScheduleService.create` stores
   * them (id `newId('schedule')`, `shard = shardOf(id)`, the SCHEDULE_DEFAULTS, no headers, so
   * the sink reads each tick's due time from `x-tock-scheduled-at` and its id from `webhook-id`,
   * which is the tick's job id), all with the same `cron` (six fields, UTC) and
   * `next_run_at = firstDueMs` (a whole second the cron matches).
   */
  async seedRecurring(count: number, cron: string, firstDueMs: number): Promise<{ inserted: number; ms: number }> {
    const db = this.#db;
    if (!db) throw new Error('setup first');
    const t0 = performance.now();
    // ScheduleService's default name: the target's host and path.
    const u = new URL(this.#sinkUrl);
    const name = `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
    for (let i = 0; i < count; i += 5000) {
      const rows = Array.from({ length: Math.min(5000, count - i) }, () => {
        const id = newId('schedule');
        return { id, shard: shardOf(id) };
      });
      await db.execute(
        `insert into schedules (id, project_id, shard, key, name, description, url, method, headers, body, cron, timezone,
                                interval_seconds, timeout_ms, max_retries, retry_backoff_ms, retry_backoff_max_ms,
                                expected_status, overlap, misfire, state, next_run_at, last_run_at, last_status,
                                alert_email, alert_webhook, alert_on_failure, alert_on_recovery, created_at, updated_at)
         select t.id, ?, t.shard, null, ?, null, ?, 'POST', '{}'::jsonb, null, ?, 'UTC',
                null, 30000, 0, 1000, 300000,
                '[]'::jsonb, 'allow', 'fire_once', 'active', to_timestamp(?::float8 / 1000), null, null,
                null, null, true, true, now(), now()
         from jsonb_to_recordset(?::jsonb) as t(id text, shard int)`,
        [this.#projectId, name, this.#sinkUrl, cron, firstDueMs, JSON.stringify(rows)],
      );
    }
    await db.execute('analyze schedules');
    return { inserted: count, ms: performance.now() - t0 };
  }

  /** Execution rows of jobs due in [fromMs, toMs] (recurring ticks keep running after a window). */
  async executionsDueBetween(fromMs: number, toMs: number): Promise<number> {
    const db = this.#db;
    if (!db) throw new Error('setup first');
    const [row] = await db.execute<{ n: number }>(
      `select count(*)::int as n from executions e join jobs j on j.id = e.job_id
        where j.scheduled_at between to_timestamp(?::float8 / 1000) and to_timestamp(?::float8 / 1000)`,
      [fromMs, toMs],
    );
    return row.n;
  }

  /**
   * RSS workload: stores `count` active cron schedules with `insert ... select generate_series`
   * (250k rows per statement). Each is a daily six-field cron (`s m h * * *`, croner's
   * 5-or-6-parts mode as the timer uses) whose time of day is spread evenly over the 24 h that
   * start `startInMs` from now, with `next_run_at` its next occurrence: count/86,400 fires per
   * second (11.6/s for 1M), so a scheduler that holds only its horizon keeps ~horizon x that in
   * memory (~350 at the 30 s default). Shards are `g % 256`, evenly spread (the timer reads the
   * column and never recomputes it; ids are `sched_bench<21 digits>`, not UUIDv7).
   */
  async seedSchedules(count: number, startInMs = 5_000): Promise<{ inserted: number; ms: number }> {
    const db = this.#db;
    if (!db) throw new Error('setup first');
    const t0 = performance.now();
    const batch = 250_000;
    let inserted = 0;
    for (let from = 1; from <= count; from += batch) {
      const to = Math.min(count, from + batch - 1);
      await db.execute(
        `insert into schedules (id, project_id, shard, name, url, method, cron, timezone, timeout_ms, max_retries,
                                retry_backoff_ms, retry_backoff_max_ms, state, next_run_at)
         select 'sched_bench' || lpad(g::text, 21, '0'), ?, g % 256, 'bench ' || g, ?, 'POST',
                extract(second from t at time zone 'UTC')::int || ' ' || extract(minute from t at time zone 'UTC')::int || ' ' || extract(hour from t at time zone 'UTC')::int || ' * * *',
                'UTC', 30000, 0, 1000, 300000, 'active', t
         from (select g, date_trunc('second', now() + make_interval(secs => ?::float8 / 1000 + (g - 1) * 86400.0 / ?::float8)) as t
               from generate_series(?::int, ?::int) as g) s`,
        [this.#projectId, this.#sinkUrl, startInMs, count, from, to],
      );
      inserted += to - from + 1;
    }
    await db.execute('analyze schedules');
    return { inserted, ms: performance.now() - t0 };
  }

  async start(): Promise<void> {
    const timer = await loadTimer();
    const db = this.#db;
    if (!db) throw new Error('setup first');
    this.#executor = new HttpExecutor({ policy: new TargetPolicy(['127.0.0.1/32', 'localhost']) });
    this.#timer = await timer.startScheduler({
      db,
      databaseUrl: this.#dbUrl,
      executor: this.#executor,
      logger: benchLogger,
      options: this.timerOptions,
    });
  }

  /** Execution rows written (each bench job makes one attempt). */
  async finished(): Promise<number> {
    const db = this.#db;
    if (!db) throw new Error('setup first');
    const [row] = await db.execute<{ n: number }>(`select count(*)::int as n from executions`);
    return row.n;
  }

  /** Scheduler counters (fired, queued, ...) if the timer exposes them. */
  async stats(): Promise<Record<string, unknown> | null> {
    return (await this.#timer?.stats?.()) ?? null;
  }

  async stop(): Promise<void> {
    const timer = this.#timer;
    this.#timer = null;
    if (timer) await timer.stop(5_000).catch((err) => console.error('[tock] stop:', (err as Error).message));
    await this.#executor?.close?.().catch(() => {});
    this.#executor = null;
    const db = this.#db;
    this.#db = null;
    await db?.close().catch(() => {});
  }

  rssBytes(): number {
    return process.memoryUsage().rss;
  }
}
