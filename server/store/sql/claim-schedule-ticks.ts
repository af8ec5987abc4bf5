import { ms } from './values.js';
import { runCallObject, runColumnsOf, RUN_COLUMNS } from './run-call.js';

/** At most this many unfinished runs of one schedule are read per claim (see `busy`). */
export const BUSY_LIMIT = 100;

/**
 * Claims schedule ticks: inserts each tick's job (`running`, attempt 1, the schedule's call
 * copied) and moves the schedule's `next_run_at`, fenced on the shard lease and conditional on
 * `next_run_at` (and the trigger) still being what the claimer read. Zero rows for a schedule =
 * someone else moved it: a lost race, not an error. `jobs_schedule_tick_uq` makes a tick at most
 * one job whoever inserts it. Ticks due by `$4` are marked dispatched by the claim itself.
 * Params: schedules (jsonb), node id, ticks (jsonb), mark-before (timestamptz).
 */
export const CLAIM_SCHEDULE_TICKS_SQL = `
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
  returning s.id, s.project_id, s.shard, s.overlap, i.epoch, ${runColumnsOf('s')}
),
t_in as (
  select * from jsonb_to_recordset($3::jsonb) as t(job_id text, schedule_id text, scheduled_at timestamptz)
),
ins as (
  insert into jobs (id, project_id, schedule_id, shard, source, ${RUN_COLUMNS.join(', ')}, scheduled_at,
                    status, attempts, next_attempt_at, lease_epoch, dispatched_at)
  select t.job_id, m.project_id, m.id, m.shard, 'schedule', ${runColumnsOf('m')}, t.scheduled_at,
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
select (select coalesce(json_agg(json_build_object('id', m.id, 'projectId', m.project_id, 'shard', m.shard, 'overlap', m.overlap,
                                                   'epoch', m.epoch, 'call', ${runCallObject('m')})), '[]'::json) from moved m) as moved,
       (select coalesce(json_agg(json_build_object('id', ins.id, 'schedule_id', ins.schedule_id, 'dispatched', ins.dispatched)), '[]'::json) from ins) as ins,
       (select coalesce(json_agg(json_build_object('s', b.schedule_id, 'j', b.id, 'at', ${ms('b.scheduled_at')})), '[]'::json) from busy b) as busy`;
