import type { Execution } from '../core/types.js';
import type { Database } from '../store/database.js';
import { errorInfo, type TimerLogger } from './options.js';
import { iso, sqlState } from './sql.js';

/** The result of one attempt, with what it does to its job (and schedule). */
export interface AttemptRecord extends Omit<Execution, 'id'> {
  executionId: string;
  /** The job's new status: terminal, or `scheduled` again for a retry. */
  jobStatus: 'scheduled' | 'succeeded' | 'failed' | 'cancelled';
  /** When the retry is due (jobStatus 'scheduled'), else null. */
  nextAttemptAt: Date | null;
  /** Lease epoch under which the job was claimed: the job update is fenced on it. */
  epoch: number;
  /** Counts as a run of its schedule (`last_run_at`, `last_status`); false for a skipped tick. */
  run: boolean;
}

interface Pending {
  rec: AttemptRecord;
  bytes: number;
  resolve: (jobUpdated: boolean) => void;
}

/**
 * Writes attempt results in batches: one statement inserts the execution rows, moves their jobs
 * (terminal, or back to `scheduled` with `next_attempt_at` for a retry) and updates the
 * schedules' `last_run_at` / `last_status`. The job update is fenced on `status = 'running' AND
 * lease_epoch = <claim epoch>`: a node that lost the shard still records what it did (the
 * execution row) but cannot move a job its successor has re-claimed.
 *
 * `add` resolves once the row is written, with whether the job row was updated. A failed batch
 * stays queued and is retried (the caller's flush timer backs off); a batch refused by an
 * integrity error (a job deleted meanwhile) is split so one bad row cannot block the others.
 */
export class ExecutionWriter {
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private flushing: Promise<number> | null = null;

  constructor(
    private readonly db: Database,
    private readonly logger: TimerLogger,
    readonly maxRows: number,
    readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  /** True when a flush should start without waiting for the interval. */
  get full(): boolean {
    return this.queue.length >= this.maxRows || this.queuedBytes >= this.maxBytes;
  }

  add(rec: AttemptRecord): Promise<boolean> {
    return new Promise((resolve) => {
      const bytes = 512 + (rec.responseBody?.length ?? 0) * 2 + (rec.error?.length ?? 0);
      this.queue.push({ rec, bytes, resolve });
      this.queuedBytes += bytes;
    });
  }

  /** Writes everything queued now (in batches); returns the rows written. Throws when a batch fails. */
  flush(): Promise<number> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    const p = this.flushAll().finally(() => {
      this.flushing = null;
    });
    this.flushing = p;
    return p;
  }

  private async flushAll(): Promise<number> {
    let written = 0;
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && batch.length < this.maxRows && (batch.length === 0 || bytes + this.queue[0].bytes <= this.maxBytes)) {
        const p = this.queue.shift()!;
        bytes += p.bytes;
        batch.push(p);
      }
      this.queuedBytes -= bytes;
      try {
        written += await this.writeSplitting(batch);
      } catch (err) {
        // Put the batch back in front, in order, and let the caller retry later.
        this.queue.unshift(...batch);
        this.queuedBytes += bytes;
        throw err;
      }
    }
    return written;
  }

  private async writeSplitting(batch: Pending[]): Promise<number> {
    try {
      const updated = await writeAttempts(
        this.db,
        batch.map((p) => p.rec),
      );
      for (const p of batch) p.resolve(updated.has(p.rec.jobId));
      return batch.length;
    } catch (err) {
      if (!sqlState(err).startsWith('23')) throw err;
      if (batch.length === 1) {
        this.logger.warn({ ...errorInfo(err), jobId: batch[0].rec.jobId }, 'execution dropped: its job or project is gone');
        batch[0].resolve(false);
        return 0;
      }
      const mid = batch.length >> 1;
      return (await this.writeSplitting(batch.slice(0, mid))) + (await this.writeSplitting(batch.slice(mid)));
    }
  }
}

/** The batched write (hot statement). Returns the ids of jobs whose row was updated. */
export async function writeAttempts(db: Database, recs: AttemptRecord[]): Promise<Set<string>> {
  const input = recs.map((r) => ({
    exec_id: r.executionId,
    job_id: r.jobId,
    project_id: r.projectId,
    schedule_id: r.scheduleId,
    attempt: r.attempt,
    exec_status: r.status,
    status_code: r.statusCode,
    duration_ms: Math.max(0, Math.round(r.durationMs)),
    response_body: r.responseBody === null ? null : stripNul(r.responseBody),
    error: r.error === null ? null : stripNul(r.error),
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
    job_status: r.jobStatus,
    next_attempt_at: iso(r.nextAttemptAt),
    epoch: r.epoch,
    terminal: r.jobStatus !== 'scheduled',
    run: r.run,
  }));
  const rows = await db.query<{ id: string }>(WRITE_ATTEMPTS_SQL, [JSON.stringify(input)], 'tock_write_attempts');
  return new Set(rows.map((r) => r.id));
}

export const WRITE_ATTEMPTS_SQL = `
with input as (
  select * from jsonb_to_recordset($1::jsonb) as x(
    exec_id text, job_id text, project_id text, schedule_id text, attempt int, exec_status text,
    status_code int, duration_ms int, response_body text, error text,
    started_at timestamptz, finished_at timestamptz,
    job_status text, next_attempt_at timestamptz, epoch bigint, terminal boolean, run boolean)
),
ex as (
  insert into executions (id, job_id, project_id, schedule_id, attempt, status, status_code, duration_ms,
                          response_body, error, started_at, finished_at)
  select i.exec_id, i.job_id, i.project_id, i.schedule_id, i.attempt, i.exec_status, i.status_code, i.duration_ms,
         i.response_body, i.error, i.started_at, i.finished_at
    from input i
   where exists (select 1 from jobs j where j.id = i.job_id)
),
upd as (
  update jobs j
     set status = i.job_status,
         next_attempt_at = i.next_attempt_at,
         last_status_code = i.status_code,
         last_error = i.error,
         finished_at = case when i.terminal then i.finished_at else null end,
         updated_at = now()
    from input i
   where j.id = i.job_id and j.status = 'running' and j.lease_epoch = i.epoch
  returning j.id, j.schedule_id, i.job_status, i.started_at, i.terminal, i.run
),
agg as (
  select schedule_id,
         max(started_at) as started_at,
         (array_agg(job_status order by started_at desc) filter (where terminal))[1] as final_status
    from upd
   where schedule_id is not null and run
   group by schedule_id
),
-- Locks schedules in id order, like the claim statement (no deadlock between the two).
-- The locked rows carry the aggregate on to the update (one CTE scan: a second CTE joined in
-- would be a rows x rows nested loop for a planner that believes each holds one row).
locked as (
  select a.* from schedules s join agg a on a.schedule_id = s.id order by s.id for no key update of s
),
sch as (
  update schedules s
     set last_run_at = greatest(coalesce(s.last_run_at, a.started_at), a.started_at),
         last_status = coalesce(a.final_status, s.last_status)
    from locked a
   where s.id = a.schedule_id
)
select id from upd`;

// PostgreSQL text cannot hold NUL; a response body may.
function stripNul(s: string): string {
  return s.includes('\u0000') ? s.replace(/\u0000/g, '') : s;
}
