import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../core/ids.js';
import type { RunCall } from '../core/schedules/runs.js';
import type { Execution, JobSource, Overlap } from '../core/types.js';
import type { Database } from './database.js';
import type { AlertRow } from './entities.js';
import { insertAlerts } from './outbox.js';
import { CANCEL_JOB_SQL } from './sql/cancel-job.js';
import { CANCEL_SCHEDULE_JOBS_SQL } from './sql/cancel-schedule-jobs.js';
import { CLAIM_JOBS_SQL } from './sql/claim-jobs.js';
import { BUSY_LIMIT, CLAIM_SCHEDULE_TICKS_SQL } from './sql/claim-schedule-ticks.js';
import { HAND_BACK_CLAIMS_SQL } from './sql/hand-back-claims.js';
import { MARK_DISPATCHED_SQL } from './sql/mark-dispatched.js';
import { iso, jsonColumn } from './sql/values.js';
import { WRITE_ATTEMPTS_SQL } from './sql/write-attempts.js';
import { writeResultAlerts, type ResultAlertOptions, type ScheduleBefore } from './result-alerts.js';

/**
 * Every change of a job's state, each one conditional statement (zero rows = lost a race):
 *
 *   scheduled --claim--> running (claimed) --mark--> running (dispatched) --result--> succeeded | failed
 *       ^                    |                                              |
 *       +---- hand back -----+                                              +--retry--> scheduled
 *   scheduled | claimed --cancel--> cancelled
 *
 * - Claim (`claimScheduleTicks` inserts a tick's job already claimed; `claimJobs` claims an
 *   existing one): fenced on the shard lease (`owner = me AND epoch = mine AND expires_at > now()`
 *   in the same statement), so a node whose lease was taken over cannot claim. The job carries the
 *   claim's lease epoch (`lease_epoch`); every later write of the attempt is fenced on it.
 * - A claimed job is not yet committed to: `dispatched_at` is null, and the core may still cancel
 *   it. The dispatch mark (`markDispatched`) commits the timer to sending it; work due within the
 *   mark window when it is claimed is marked by the claim statement itself (`markBeforeMs`).
 * - Cancel invariant: a job is called only if its dispatch mark committed; a cancel (`cancelJob`,
 *   `cancelScheduleJobs` for a schedule pause/delete) only commits while `dispatched_at is null`;
 *   the mark only commits while the job is still `running` under the claim's epoch. Both are
 *   single conditional UPDATEs of the job row, so the row lock orders them and exactly one wins:
 *   cancelled and never called, or called and the cancel answers `job_already_executed`.
 * - Result (`writeAttempts`): the execution row, and the job terminal or `scheduled` again for a
 *   retry (the core decides which: server/core/jobs/attempts.ts).
 * - Hand back (`handBackClaims`, a stopping node): claimed-but-unsent jobs go back to `scheduled`.
 */

/** A claimed job attempt, as the claim answered it. */
export interface ClaimedJob {
  jobId: string;
  projectId: string;
  scheduleId: string | null;
  shard: number;
  /** Lease epoch of the claim. */
  epoch: number;
  source: JobSource;
  /** When this attempt is due. */
  dueMs: number;
  scheduledAtMs: number;
  /** This attempt's number (1 = first). */
  attempt: number;
  call: RunCall;
  /** The schedule's overlap policy ('allow' for jobs without a schedule). */
  overlap: Overlap;
  /**
   * The claim itself marked it dispatched (it was due within the mark window when claimed, or a
   * re-claim of a job its first owner had marked): no separate dispatch mark is needed.
   */
  dispatched: boolean;
}

/** The fence of a claimed attempt: the job, its shard, the claim's lease epoch. */
export type ClaimFence = Pick<ClaimedJob, 'jobId' | 'shard' | 'epoch'>;

/** One schedule's ticks to claim. */
export interface TickClaim {
  scheduleId: string;
  shard: number;
  /** The claimer's lease epoch on the shard. */
  epoch: number;
  /** `extract(epoch from next_run_at)` as the claimer read it, exactly (seconds, as text). */
  expectedNextRun: string;
  /** The trigger as the claimer read it: the claim loses if it changed meanwhile. */
  cron: string | null;
  timezone: string;
  intervalSeconds: number | null;
  /** Occurrences (ms) that become jobs. */
  ticks: number[];
  /** The schedule's new `next_run_at` (ms), or null when it never fires again. */
  nextRunAtMs: number | null;
}

/** A run of a schedule (tick or manual trigger) that is not terminal in the database. */
export interface UnfinishedRun {
  jobId: string;
  scheduledAtMs: number;
}

/** Unfinished runs of one schedule, read by a claim; `shard` is the schedule's. */
export interface ScheduleRuns {
  shard: number;
  runs: UnfinishedRun[];
}

export interface TickClaimResult {
  /** Schedules whose `next_run_at` the claim moved. */
  moved: Set<string>;
  /** Ticks that became jobs (a tick already taken by the unique index is not here). */
  jobs: ClaimedJob[];
  /**
   * For each moved schedule with overlap `forbid`: its runs unfinished in the database before
   * this claim (at most BUSY_LIMIT; an empty list means none).
   */
  unfinished: Map<string, ScheduleRuns>;
}

export interface JobClaim {
  jobId: string;
  shard: number;
  epoch: number;
  /** The status the claimer read; `running` = recovery of an older claim. */
  expectStatus: 'scheduled' | 'running';
}

export interface JobClaimResult {
  jobs: ClaimedJob[];
  /** Earlier unfinished runs of the forbid schedules whose ticks were claimed as jobs. */
  unfinished: Map<string, ScheduleRuns>;
}

/** The result of one attempt, with what it does to its job (and schedule). */
export interface AttemptResult extends Omit<Execution, 'id'> {
  executionId: string;
  /** The job's new status: terminal, or `scheduled` again for a retry. */
  jobStatus: 'scheduled' | 'succeeded' | 'failed' | 'cancelled';
  /** When the retry is due (jobStatus 'scheduled'), else null. */
  nextAttemptAt: Date | null;
  /** Lease epoch under which the job was claimed: the job update is fenced on it. */
  epoch: number;
  /** Counts as a run of its schedule (`last_run_at`, `last_status`); false for a skipped tick. */
  run: boolean;
  /** Whether the job has its own terminal-state webhook (its claimed call says); unknown when absent. */
  webhook?: boolean;
}

export { BUSY_LIMIT };

interface BusyRow {
  j: string;
  at: number;
}

function unfinishedRun(b: BusyRow): UnfinishedRun {
  return { jobId: b.j, scheduledAtMs: Number(b.at) };
}

/** `next_run_at` as `extract(epoch from ...)` gives it: seconds with millisecond digits. */
export function nextRunText(msValue: number): string {
  return (msValue / 1000).toFixed(3);
}

/** Claims schedules' ticks; ticks due at or before `markBeforeMs` are marked dispatched too. */
export async function claimScheduleTicks(db: Database, nodeId: string, claims: readonly TickClaim[], markBeforeMs: number): Promise<TickClaimResult> {
  const schedules = [];
  const ticks: Array<{ job_id: string; schedule_id: string; scheduled_at: string | null }> = [];
  const tickAt = new Map<string, number>();
  for (const c of claims) {
    schedules.push({
      id: c.scheduleId,
      shard: c.shard,
      epoch: c.epoch,
      expected: c.expectedNextRun,
      next_run_at: iso(c.nextRunAtMs),
      cron: c.cron,
      timezone: c.timezone,
      interval_seconds: c.intervalSeconds,
    });
    for (const at of c.ticks) {
      const jobId = newId('job');
      tickAt.set(jobId, at);
      ticks.push({ job_id: jobId, schedule_id: c.scheduleId, scheduled_at: iso(at) });
    }
  }
  type Moved = { id: string; projectId: string; shard: number; overlap: Overlap; epoch: number; call: RunCall };
  type Inserted = { id: string; schedule_id: string; dispatched: boolean };
  type Busy = BusyRow & { s: string };
  const [row] = await db.query<{ moved: Moved[] | string; ins: Inserted[] | string; busy: Busy[] | string }>(
    CLAIM_SCHEDULE_TICKS_SQL,
    [JSON.stringify(schedules), nodeId, JSON.stringify(ticks), iso(markBeforeMs)],
    'tock_claim_schedule_ticks',
  );
  const movedRows = jsonColumn(row.moved);
  const byId = new Map(movedRows.map((m) => [m.id, m]));
  const unfinished = new Map<string, ScheduleRuns>();
  for (const m of movedRows) if (m.overlap === 'forbid') unfinished.set(m.id, { shard: Number(m.shard), runs: [] });
  for (const b of jsonColumn(row.busy)) unfinished.get(b.s)?.runs.push(unfinishedRun(b));
  const jobs: ClaimedJob[] = [];
  for (const j of jsonColumn(row.ins)) {
    // Every tick of one schedule shares the schedule's call (read-only from here on).
    const m = byId.get(j.schedule_id)!;
    const at = tickAt.get(j.id)!;
    jobs.push({
      jobId: j.id,
      projectId: m.projectId,
      scheduleId: m.id,
      shard: Number(m.shard),
      epoch: Number(m.epoch),
      source: 'schedule',
      dueMs: at,
      scheduledAtMs: at,
      attempt: 1,
      call: m.call,
      overlap: m.overlap,
      dispatched: j.dispatched === true,
    });
  }
  return { moved: new Set(byId.keys()), jobs, unfinished };
}

interface ClaimedJobRow {
  id: string;
  project_id: string;
  schedule_id: string | null;
  shard: number;
  source: JobSource;
  call: RunCall | string;
  scheduled_ms: number;
  due_ms: number;
  attempts: number;
  epoch: string | number;
  dispatched: boolean;
  overlap: Overlap | null;
  busy: BusyRow[] | string | null;
}

/** Claims jobs; those due at or before `markBeforeMs` are marked dispatched too. */
export async function claimJobs(db: Database, nodeId: string, claims: readonly JobClaim[], markBeforeMs: number): Promise<JobClaimResult> {
  // The claims travel as they are: the statement reads JobClaim's fields by name.
  const rows = await db.query<ClaimedJobRow>(CLAIM_JOBS_SQL, [JSON.stringify(claims), nodeId, iso(markBeforeMs)], 'tock_claim_jobs');
  // Earlier unfinished runs of the forbid schedules whose ticks were claimed here (not the
  // complete set of the schedule's unfinished runs: only those before each tick).
  const unfinished = new Map<string, ScheduleRuns>();
  const jobs: ClaimedJob[] = [];
  for (const r of rows) {
    if (r.busy !== null && r.schedule_id !== null) {
      let entry = unfinished.get(r.schedule_id);
      if (!entry) unfinished.set(r.schedule_id, (entry = { shard: Number(r.shard), runs: [] }));
      for (const b of jsonColumn(r.busy)) entry.runs.push(unfinishedRun(b));
    }
    jobs.push({
      jobId: r.id,
      projectId: r.project_id,
      scheduleId: r.schedule_id,
      shard: Number(r.shard),
      epoch: Number(r.epoch),
      source: r.source,
      dueMs: Number(r.due_ms),
      scheduledAtMs: Number(r.scheduled_ms),
      attempt: Number(r.attempts),
      call: jsonColumn(r.call),
      overlap: r.source === 'schedule' && r.overlap ? r.overlap : 'allow',
      dispatched: r.dispatched === true,
    });
  }
  return { jobs, unfinished };
}

/**
 * The dispatch mark (see the cancel invariant above). Returns the ids marked; an id missing was
 * cancelled, or re-claimed by another node, or its lease lapsed: it must not be sent.
 */
export async function markDispatched(db: Database, nodeId: string, jobs: readonly ClaimFence[]): Promise<Set<string>> {
  if (jobs.length === 0) return new Set();
  const rows = await db.query<{ id: string }>(
    MARK_DISPATCHED_SQL,
    [JSON.stringify(jobs.map((j) => ({ id: j.jobId, shard: j.shard, epoch: j.epoch }))), nodeId],
    'tock_mark_dispatched',
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Hands claimed-but-unsent jobs back (shutdown): `scheduled` again, so whoever owns the shard
 * next runs them at their time. The next claim brings `attempts` back to the same number. A job
 * already marked dispatched but not sent goes back too (nothing went out: it may be cancelled
 * again). Returns how many went back.
 */
export async function handBackClaims(db: Database, jobs: ReadonlyArray<Pick<ClaimFence, 'jobId' | 'epoch'>>): Promise<number> {
  if (jobs.length === 0) return 0;
  const rows = await db.query(HAND_BACK_CLAIMS_SQL, [JSON.stringify(jobs.map((j) => ({ id: j.jobId, epoch: j.epoch })))], 'tock_hand_back_claims');
  return rows.length;
}

/**
 * Cancels a job that has not been sent. Returns its attempts after the cancel, or null if the
 * cancel lost. `alerts`, given the attempts, names the alert rows the cancel enqueues (a job's
 * terminal-state webhook), inserted in the cancel's transaction.
 */
export async function cancelJob(
  db: Database,
  job: { jobId: string; projectId: string; at: Date },
  alerts?: (attempts: number) => AlertRow[],
): Promise<number | null> {
  const at = job.at.toISOString();
  if (!alerts) {
    const rows = await db.execute<{ attempts: number }>(CANCEL_JOB_SQL, [at, at, job.jobId, job.projectId]);
    return rows.length === 1 ? Number(rows[0].attempts) : null;
  }
  return db.em().transactional(async (em) => {
    const rows = await em.execute<Array<{ attempts: number }>>(CANCEL_JOB_SQL, [at, at, job.jobId, job.projectId]);
    if (rows.length !== 1) return null;
    const attempts = Number(rows[0].attempts);
    await insertAlerts(em, alerts(attempts));
    return attempts;
  });
}

/**
 * Cancels a schedule's jobs that have not been sent: `all` of them (delete), or only ticks whose
 * first attempt is unsent (pause). Runs on `em` (inside the caller's transaction). Returns the
 * jobs cancelled.
 */
export async function cancelScheduleJobs(em: EntityManager, schedule: { scheduleId: string; all: boolean; at: Date }): Promise<Array<{ id: string; shard: number }>> {
  const at = schedule.at.toISOString();
  const rows = await em.execute<Array<{ id: string; shard: number }>>(CANCEL_SCHEDULE_JOBS_SQL, [schedule.scheduleId, schedule.all, at, at]);
  return rows.map((r) => ({ id: r.id, shard: Number(r.shard) }));
}

/** What a result batch wrote. */
export interface AttemptsWritten {
  /** Ids of the jobs whose row was updated. */
  updated: Set<string>;
  /** Shards that alert rows went to (their owners deliver them). */
  alertShards: number[];
}

/** Writes attempt results (hot statement). Returns the ids of jobs whose row was updated. */
export async function writeAttempts(db: Database, results: readonly AttemptResult[]): Promise<Set<string>> {
  return (await writeAttemptResults(db, results, { publicUrl: 'http://localhost', now: new Date() })).updated;
}

/**
 * Writes attempt results and, in the same transaction, what they change for alerts: the
 * outbox rows, the schedules' flips and failure streaks (store/result-alerts.ts).
 */
export async function writeAttemptResults(db: Database, results: readonly AttemptResult[], alerts: ResultAlertOptions): Promise<AttemptsWritten> {
  const input = results.map((r) => ({
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
  // Nothing here can alert, flip or move a streak (retries; one-time jobs without a webhook that
  // did not fail): the statement alone, no transaction around it.
  if (results.every(cannotAlert)) {
    const rows = await db.query<{ k: 'j' | 's'; id: string }>(WRITE_ATTEMPTS_SQL, [JSON.stringify(input)], 'tock_write_attempts');
    return { updated: new Set(rows.filter((r) => r.k === 'j').map((r) => r.id)), alertShards: [] };
  }
  return db.transaction(async (q) => {
    const rows = await q.query<{ k: 'j' | 's'; id: string; hooked: boolean | null; prev_streak: number | null; prev_status: string | null }>(
      WRITE_ATTEMPTS_SQL,
      [JSON.stringify(input)],
      'tock_write_attempts',
    );
    const updated = new Set<string>();
    const hooked = new Set<string>();
    const before = new Map<string, ScheduleBefore>();
    for (const r of rows) {
      if (r.k === 'j') {
        updated.add(r.id);
        if (r.hooked) hooked.add(r.id);
      } else {
        before.set(r.id, { failureStreak: Number(r.prev_streak), lastStatus: r.prev_status });
      }
    }
    const alertShards = await writeResultAlerts(q, results, updated, hooked, before, alerts);
    return { updated, alertShards };
  });
}

function cannotAlert(r: AttemptResult): boolean {
  if (r.jobStatus === 'scheduled') return true;
  return r.webhook === false && r.jobStatus !== 'failed' && !(r.scheduleId !== null && r.run);
}

// PostgreSQL text cannot hold NUL; a response body may.
function stripNul(s: string): string {
  return s.includes('\u0000') ? s.replace(/\u0000/g, '') : s;
}
