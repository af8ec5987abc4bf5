import type { CallOutcome, OutboundCall } from '../executor/index.js';
import { newId } from '../core/ids.js';
import type { JobSource, Overlap } from '../core/types.js';
import type { Database } from '../store/database.js';
import { retryDelayMs, shouldRetry } from './backoff.js';
import type { JobDue, ScheduleDue } from './due-queue.js';
import type { AttemptRecord } from './executions.js';
import type { TickPlan } from './misfire.js';
import { iso, jsonColumn, ms } from './sql.js';

/**
 * Claim-ahead, the dispatch mark and the fire path's pure parts.
 *
 * Work due within `claimAheadMs` is claimed in the database *before* its time, in batches:
 * - schedule ticks: one statement inserts the tick's job rows (`running`, attempt 1) and moves
 *   the schedule's `next_run_at`, fenced by the shard lease epoch and conditional on
 *   `next_run_at` still being what this node read (zero rows = someone else moved it: a lost
 *   race, not an error). `jobs_schedule_tick_uq` makes a tick at most one job whoever inserts it.
 * - jobs (one-time, manual, retries, recovery of claims by a dead node): one conditional UPDATE
 *   to `running` with `lease_epoch = <ours>`.
 * A claimed job is not yet committed to: `dispatched_at` is null ("claimed, not dispatched"), and
 * the core may still cancel it. `dispatchMarkMs` before its time the timer marks it dispatched
 * (MARK_DISPATCHED_SQL, batched); only marked jobs are sent. Work already inside the mark window
 * when it is claimed (late claims, catch-up ticks, jobs due now) is marked by the claim statement
 * itself (`mark_before`), which saves the round trip; with the default options that is all of
 * it (`dispatchMarkMs` covers the whole claim window) and MARK_DISPATCHED_SQL is left for nodes
 * configured to claim further ahead than they mark.
 *
 * Cancel invariant: a job is called only if its dispatch mark committed; a cancel (job cancel,
 * schedule pause/delete) only commits while `dispatched_at is null`; the mark only commits while
 * the job is still `running` under the claim's epoch. Both are single conditional UPDATEs of the
 * job row, so the row lock orders them and exactly one wins: cancelled and never called, or
 * called and the cancel answers `job_already_executed`. No margin, no clock comparison.
 *
 * At the due moment only a timer fires the HTTP call: lateness depends on the event loop, not on
 * a database round trip (the mark is answered ahead of time unless the database is slower than
 * `dispatchMarkMs`).
 */

/** A claimed job, ready to fire at `dueMs`. */
export interface FireItem {
  jobId: string;
  projectId: string;
  scheduleId: string | null;
  shard: number;
  /** Lease epoch of the claim. */
  epoch: number;
  source: JobSource;
  dueMs: number;
  scheduledAtMs: number;
  /** This attempt's number (1 = first). */
  attempt: number;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  timeoutMs: number;
  maxRetries: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  expectedStatus: number[];
  /** The schedule's overlap policy ('allow' for jobs without a schedule). */
  overlap: Overlap;
  /**
   * The claim itself marked it dispatched (it was due within the mark window when claimed, or a
   * re-claim of a job its first owner had marked): no separate dispatch mark is needed.
   */
  dispatched: boolean;
}

export interface ScheduleClaim {
  entry: ScheduleDue;
  epoch: number;
  plan: TickPlan;
}

export interface ScheduleClaimResult {
  /** Schedules whose `next_run_at` this node moved. */
  moved: Set<string>;
  /** Ticks that became jobs (a tick already taken by the unique index is not here). */
  items: FireItem[];
  /**
   * For each moved schedule with overlap `forbid`: its runs unfinished in the database before
   * this claim (at most BUSY_LIMIT; an empty list means none).
   */
  unfinished: Map<string, ScheduleRuns>;
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

interface BusyRow {
  j: string;
  at: number;
}

function unfinishedRun(b: BusyRow): UnfinishedRun {
  return { jobId: b.j, scheduledAtMs: Number(b.at) };
}

/** The call settings a job row (or the schedule row its ticks copy) carries. */
interface CallRow {
  project_id: string;
  shard: number;
  url: string;
  method: string;
  headers: Record<string, string> | null;
  body: string | null;
  timeout_ms: number;
  max_retries: number;
  retry_backoff_ms: number;
  retry_backoff_max_ms: number;
  expected_status: number[] | null;
  epoch: string | number;
}

type CallFields = Pick<
  FireItem,
  'projectId' | 'shard' | 'epoch' | 'url' | 'method' | 'headers' | 'body' | 'timeoutMs' | 'maxRetries' | 'retryBackoffMs' | 'retryBackoffMaxMs' | 'expectedStatus'
>;

function callFields(r: CallRow): CallFields {
  return {
    projectId: r.project_id,
    shard: Number(r.shard),
    epoch: Number(r.epoch),
    url: r.url,
    method: r.method,
    headers: r.headers ?? {},
    body: r.body,
    timeoutMs: Number(r.timeout_ms),
    maxRetries: Number(r.max_retries),
    retryBackoffMs: Number(r.retry_backoff_ms),
    retryBackoffMaxMs: Number(r.retry_backoff_max_ms),
    expectedStatus: r.expected_status ?? [],
  };
}

interface MovedRow extends CallRow {
  id: string;
  overlap: Overlap;
}

/** At most this many unfinished runs of one schedule are read per claim (see `busy`). */
export const BUSY_LIMIT = 100;

export const CLAIM_SCHEDULES_SQL = `
with s_in as (
  select * from jsonb_to_recordset($1::jsonb) as x(
    id text, shard int, epoch bigint, expected numeric, next_run_at timestamptz, cron text, timezone text, interval_seconds int)
),
-- The fence, joined on (shard, epoch) and materialised before it meets the table: the planner
-- guesses 100 rows for a recordset, and left to itself it pairs every input row with every
-- lease of the same epoch (rows x 256 index probes).
fenced as materialized (
  select i.* from s_in i join shard_leases l on l.shard = i.shard and l.epoch = i.epoch
   where l.owner = $2 and l.expires_at > now()
),
-- Row locks in id order: the result writer also updates schedules (last_run_at) and takes
-- them in the same order, so the two statements cannot deadlock.
-- The locked rows carry their input on to the update: joining the update to a second CTE would
-- be a nested loop of CTE scans (rows x rows) for a planner that believes both hold one row.
locked as (
  select i.* from schedules s join fenced i on i.id = s.id and s.shard = i.shard order by s.id for no key update of s
),
moved as (
  update schedules s
     set next_run_at = i.next_run_at
    from locked i
   where s.id = i.id
     and s.state = 'active'
     and extract(epoch from s.next_run_at) = i.expected
     and s.cron is not distinct from i.cron
     and s.timezone = i.timezone
     and s.interval_seconds is not distinct from i.interval_seconds
  returning s.id, s.project_id, s.shard, s.url, s.method, s.headers, s.body, s.timeout_ms, s.max_retries,
            s.retry_backoff_ms, s.retry_backoff_max_ms, s.expected_status, s.overlap, i.epoch
),
t_in as (
  select * from jsonb_to_recordset($3::jsonb) as t(job_id text, schedule_id text, scheduled_at timestamptz)
),
ins as (
  insert into jobs (id, project_id, schedule_id, shard, source, url, method, headers, body, scheduled_at,
                    timeout_ms, max_retries, retry_backoff_ms, retry_backoff_max_ms, expected_status,
                    status, attempts, next_attempt_at, lease_epoch, dispatched_at)
  select t.job_id, m.project_id, m.id, m.shard, 'schedule', m.url, m.method, m.headers, m.body, t.scheduled_at,
         m.timeout_ms, m.max_retries, m.retry_backoff_ms, m.retry_backoff_max_ms, m.expected_status,
         'running', 1, t.scheduled_at, m.epoch,
         case when t.scheduled_at <= $4::timestamptz then now() end
    from t_in t join moved m on m.id = t.schedule_id
  on conflict (schedule_id, scheduled_at) where source = 'schedule' do nothing
  returning id, schedule_id, dispatched_at is not null as dispatched
),
-- Overlap forbid: the schedule's runs still unfinished in the database (a terminal job has no
-- next_attempt_at), read from the snapshot before this statement, so the ticks inserted here
-- are not among them. One probe of jobs_unfinished_run_idx per forbid schedule.
busy as (
  select m.id as schedule_id, b.id, b.scheduled_at from moved m
   cross join lateral (
     select j.id, j.scheduled_at from jobs j where j.schedule_id = m.id and j.next_attempt_at is not null limit ${BUSY_LIMIT}
   ) b
   where m.overlap = 'forbid'
)
-- Aggregates, no join: the planner cannot estimate CTE sizes, and a nested loop over
-- moved x ins costs O(schedules x ticks).
select (select coalesce(json_agg(m), '[]'::json) from moved m) as moved,
       (select coalesce(json_agg(json_build_object('id', ins.id, 'schedule_id', ins.schedule_id, 'dispatched', ins.dispatched)), '[]'::json) from ins) as ins,
       (select coalesce(json_agg(json_build_object('s', b.schedule_id, 'j', b.id, 'at', ${ms('b.scheduled_at')})), '[]'::json) from busy b) as busy`;

/** `expected` for the claim: `next_run_at` as epoch seconds with millisecond digits. */
export function epochText(msValue: number): string {
  return (msValue / 1000).toFixed(3);
}

/** `markBeforeMs`: ticks due at or before it are marked dispatched by the claim itself. */
export async function claimSchedules(db: Database, nodeId: string, claims: ScheduleClaim[], markBeforeMs: number): Promise<ScheduleClaimResult> {
  const schedules = [];
  const ticks: Array<{ job_id: string; schedule_id: string; scheduled_at: string | null }> = [];
  const tickAt = new Map<string, number>();
  for (const c of claims) {
    const e = c.entry;
    schedules.push({
      id: e.id,
      shard: e.shard,
      epoch: c.epoch,
      expected: e.expectedEpoch,
      next_run_at: iso(c.plan.nextRunAtMs),
      cron: e.cron,
      timezone: e.timezone,
      interval_seconds: e.intervalSeconds,
    });
    for (const at of c.plan.ticks) {
      const jobId = newId('job');
      tickAt.set(jobId, at);
      ticks.push({ job_id: jobId, schedule_id: e.id, scheduled_at: iso(at) });
    }
  }
  type Inserted = { id: string; schedule_id: string; dispatched: boolean };
  type Busy = BusyRow & { s: string };
  const [row] = await db.query<{ moved: MovedRow[] | string; ins: Inserted[] | string; busy: Busy[] | string }>(CLAIM_SCHEDULES_SQL, [
    JSON.stringify(schedules),
    nodeId,
    JSON.stringify(ticks),
    iso(markBeforeMs),
  ], 'tock_claim_schedules');
  const movedRows = jsonColumn(row.moved);
  const inserted = jsonColumn(row.ins);
  const byId = new Map(movedRows.map((m) => [m.id, m]));
  const moved = new Set(byId.keys());
  const unfinished = new Map<string, ScheduleRuns>();
  for (const m of movedRows) if (m.overlap === 'forbid') unfinished.set(m.id, { shard: Number(m.shard), runs: [] });
  for (const b of jsonColumn(row.busy)) unfinished.get(b.s)?.runs.push(unfinishedRun(b));
  const items: FireItem[] = [];
  for (const j of inserted) {
    const r = byId.get(j.schedule_id)!;
    const at = tickAt.get(j.id)!;
    items.push({
      ...callFields(r),
      jobId: j.id,
      scheduleId: r.id,
      source: 'schedule',
      dueMs: at,
      scheduledAtMs: at,
      attempt: 1,
      overlap: r.overlap,
      dispatched: j.dispatched === true,
    });
  }
  return { moved, items, unfinished };
}

interface ClaimedJobRow extends CallRow {
  id: string;
  schedule_id: string | null;
  source: JobSource;
  scheduled_ms: number;
  due_ms: number;
  attempts: number;
  dispatched: boolean;
  overlap: Overlap | null;
  busy: BusyRow[] | string | null;
}

export const CLAIM_JOBS_SQL = `
with input as (
  select * from jsonb_to_recordset($1::jsonb) as x(id text, shard int, epoch bigint, expect_status text)
),
-- The fence, joined on (shard, epoch) first (see CLAIM_SCHEDULES_SQL).
fenced as materialized (
  select i.* from input i join shard_leases l on l.shard = i.shard and l.epoch = i.epoch
   where l.owner = $2 and l.expires_at > now()
),
c as (
  update jobs j
     set status = 'running',
         attempts = case when j.status = 'scheduled' then j.attempts + 1 else greatest(j.attempts, 1) end,
         -- A re-claim (recovery) keeps a mark its first owner made; otherwise the attempt starts
         -- undispatched, unless it is already due within the mark window: marked right here.
         dispatched_at = case when j.status = 'running' and j.dispatched_at is not null then j.dispatched_at
                              when j.next_attempt_at <= $3::timestamptz then now()
                              end,
         lease_epoch = i.epoch,
         updated_at = now()
    from fenced i
   where j.id = i.id
     and j.shard = i.shard
     and j.status = i.expect_status
     and (j.status = 'scheduled' or j.lease_epoch is null or j.lease_epoch <= i.epoch)
     and j.next_attempt_at is not null
  returning j.id, j.project_id, j.schedule_id, j.shard, j.source, j.url, j.method, j.headers, j.body,
            ${ms('j.scheduled_at')} as scheduled_ms, ${ms('j.next_attempt_at')} as due_ms,
            j.timeout_ms, j.max_retries, j.retry_backoff_ms, j.retry_backoff_max_ms, j.expected_status,
            j.attempts, i.epoch, j.dispatched_at is not null as dispatched
)
-- Overlap forbid for a tick claimed as a job (handed back by a stopping node, recovered from a
-- dead one): the schedule's earlier runs still unfinished (see busy in CLAIM_SCHEDULES_SQL).
select c.*, s.overlap,
       case when s.overlap = 'forbid' and c.source = 'schedule' then (
         select coalesce(json_agg(json_build_object('j', b.id, 'at', ${ms('b.scheduled_at')})), '[]'::json) from (
           select j.id, j.scheduled_at from jobs j
            where j.schedule_id = c.schedule_id and j.next_attempt_at is not null
              and j.id <> c.id and j.scheduled_at < to_timestamp(c.scheduled_ms / 1000.0)
            limit ${BUSY_LIMIT}) b
       ) end as busy
  from c left join schedules s on s.id = c.schedule_id`;

/** `markBeforeMs`: jobs due at or before it are marked dispatched by the claim itself. */
export async function claimJobs(
  db: Database,
  nodeId: string,
  claims: Array<{ entry: JobDue; epoch: number }>,
  markBeforeMs: number,
): Promise<{ items: FireItem[]; unfinished: Map<string, ScheduleRuns> }> {
  const input = claims.map((c) => ({ id: c.entry.id, shard: c.entry.shard, epoch: c.epoch, expect_status: c.entry.status }));
  const rows = await db.query<ClaimedJobRow>(CLAIM_JOBS_SQL, [JSON.stringify(input), nodeId, iso(markBeforeMs)], 'tock_claim_jobs');
  // Earlier unfinished runs of the forbid schedules whose ticks were claimed here (not the
  // complete set of the schedule's unfinished runs: only those before each tick).
  const unfinished = new Map<string, ScheduleRuns>();
  for (const r of rows) {
    if (r.busy === null || r.schedule_id === null) continue;
    let entry = unfinished.get(r.schedule_id);
    if (!entry) unfinished.set(r.schedule_id, (entry = { shard: Number(r.shard), runs: [] }));
    for (const b of jsonColumn(r.busy)) entry.runs.push(unfinishedRun(b));
  }
  const items = rows.map((r): FireItem => ({
    ...callFields(r),
    jobId: r.id,
    scheduleId: r.schedule_id,
    source: r.source,
    dueMs: Number(r.due_ms),
    scheduledAtMs: Number(r.scheduled_ms),
    attempt: Number(r.attempts),
    overlap: r.source === 'schedule' && r.overlap ? r.overlap : 'allow',
    dispatched: r.dispatched === true,
  }));
  return { items, unfinished };
}

export const UNCLAIM_JOBS_SQL = `
with input as (select * from jsonb_to_recordset($1::jsonb) as x(id text, epoch bigint))
update jobs j
   set status = 'scheduled', attempts = greatest(j.attempts - 1, 0), lease_epoch = null, dispatched_at = null, updated_at = now()
  from input i
 where j.id = i.id and j.status = 'running' and j.lease_epoch = i.epoch
returning j.id`;

/**
 * Hands claimed-but-not-fired jobs back (shutdown): `scheduled` again, so whoever owns the shard
 * next fires them at their time. The next claim brings `attempts` back to the same number. A
 * job already marked dispatched but not sent goes back too (nothing went out: it may be
 * cancelled again).
 */
export async function unclaimJobs(db: Database, items: FireItem[]): Promise<number> {
  if (items.length === 0) return 0;
  const rows = await db.query(UNCLAIM_JOBS_SQL, [JSON.stringify(items.map((i) => ({ id: i.jobId, epoch: i.epoch })))], 'tock_unclaim_jobs');
  return rows.length;
}

export const MARK_DISPATCHED_SQL = `
with input as (select * from jsonb_to_recordset($1::jsonb) as x(id text, shard int, epoch bigint)),
-- The fence, joined on (shard, epoch) first (see CLAIM_SCHEDULES_SQL).
fenced as materialized (
  select i.* from input i join shard_leases l on l.shard = i.shard and l.epoch = i.epoch
   where l.owner = $2 and l.expires_at > now()
),
-- Row locks in id order, like the cancel of a schedule's ticks (pause/delete): no deadlock. The
-- locked rows carry their epoch on to the update (one CTE scan, see CLAIM_SCHEDULES_SQL).
locked as (
  select j.id, i.epoch from jobs j join fenced i on i.id = j.id and j.shard = i.shard
   where j.status = 'running' and j.lease_epoch = i.epoch
   order by j.id for no key update of j
)
update jobs j
   set dispatched_at = now()
  from locked k
 where j.id = k.id
   and j.status = 'running'
   and j.lease_epoch = k.epoch
returning j.id`;

/**
 * The dispatch mark: commits this node to sending `items` (see the cancel invariant above).
 * Returns the ids marked; an id missing was cancelled, or re-claimed by another node, or its
 * lease lapsed: it must not be sent.
 */
export async function markDispatched(db: Database, nodeId: string, items: FireItem[]): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const rows = await db.query<{ id: string }>(
    MARK_DISPATCHED_SQL,
    [JSON.stringify(items.map((i) => ({ id: i.jobId, shard: i.shard, epoch: i.epoch }))), nodeId],
    'tock_mark_dispatched',
  );
  return new Set(rows.map((r) => r.id));
}

/** The outbound call of an attempt, signed with the project's secrets; `webhook-id` = job id. */
export function buildCall(item: FireItem, secrets: string[]): OutboundCall {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(item.headers)) {
    if (!k.toLowerCase().startsWith('x-tock-')) headers[k] = String(v);
  }
  headers['x-tock-job-id'] = item.jobId;
  headers['x-tock-attempt'] = String(item.attempt);
  headers['x-tock-scheduled-at'] = new Date(item.scheduledAtMs).toISOString();
  if (item.scheduleId) headers['x-tock-schedule-id'] = item.scheduleId;
  return {
    url: item.url,
    method: item.method,
    headers,
    body: item.body,
    timeoutMs: item.timeoutMs,
    expectedStatus: item.expectedStatus,
    signing: { id: item.jobId, secrets },
  };
}

/** What an attempt's outcome does: terminal status, or a retry after backoff with full jitter. */
export function attemptRecord(item: FireItem, outcome: CallOutcome, nowMs: number, random: () => number = Math.random): AttemptRecord {
  let jobStatus: AttemptRecord['jobStatus'];
  let nextAttemptAt: Date | null = null;
  if (outcome.outcome === 'succeeded') {
    jobStatus = 'succeeded';
  } else if (shouldRetry(outcome.outcome, item.attempt, item.maxRetries)) {
    jobStatus = 'scheduled';
    nextAttemptAt = new Date(nowMs + retryDelayMs(item.attempt, item.retryBackoffMs, item.retryBackoffMaxMs, outcome.retryAfterMs, random));
  } else {
    jobStatus = 'failed';
  }
  return {
    executionId: newId('execution'),
    jobId: item.jobId,
    projectId: item.projectId,
    scheduleId: item.scheduleId,
    attempt: item.attempt,
    status: outcome.outcome,
    statusCode: outcome.statusCode,
    durationMs: outcome.durationMs,
    responseBody: outcome.responseBody,
    error: outcome.error,
    startedAt: outcome.startedAt,
    finishedAt: outcome.finishedAt,
    jobStatus,
    nextAttemptAt,
    epoch: item.epoch,
    run: true,
  };
}

export const SKIPPED_ERROR = 'previous run still running';

/**
 * Overlap `forbid`: a tick that finds an earlier run of its schedule unfinished is recorded as
 * a `cancelled` job with one execution of status `skipped` (error 'previous run still running').
 * It does not count as a run of the schedule.
 */
export function skippedRecord(item: FireItem, nowMs: number): AttemptRecord {
  const now = new Date(nowMs);
  return {
    executionId: newId('execution'),
    jobId: item.jobId,
    projectId: item.projectId,
    scheduleId: item.scheduleId,
    attempt: item.attempt,
    status: 'skipped',
    statusCode: null,
    durationMs: 0,
    responseBody: null,
    error: SKIPPED_ERROR,
    startedAt: now,
    finishedAt: now,
    jobStatus: 'cancelled',
    nextAttemptAt: null,
    epoch: item.epoch,
    run: false,
  };
}
