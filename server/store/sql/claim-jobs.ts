import { ms } from './values.js';
import { BUSY_LIMIT } from './claim-schedule-ticks.js';
import { runCallObject, runColumnsOf } from './run-call.js';

/**
 * Claims jobs (one-time, manual, retries, recovery of claims by a dead node): one conditional
 * UPDATE to `running` under the claimer's lease epoch, fenced on the shard lease, conditional on
 * the status the claimer read. Jobs due by `$3` are marked dispatched by the claim itself.
 * Params: jobs (jsonb: JobClaim objects), node id, mark-before (timestamptz).
 */
export const CLAIM_JOBS_SQL = `
with input as (
  select x."jobId" as id, x.shard, x.epoch, x."expectStatus" as expect_status
    from jsonb_to_recordset($1::jsonb) as x("jobId" text, shard int, epoch bigint, "expectStatus" text)
),
-- The fence, joined on (shard, epoch) first (see CLAIM_SCHEDULE_TICKS_SQL).
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
  returning j.id, j.project_id, j.schedule_id, j.shard, j.source, ${runColumnsOf('j')},
            ${ms('j.scheduled_at')} as scheduled_ms, ${ms('j.next_attempt_at')} as due_ms,
            j.attempts, i.epoch, j.dispatched_at is not null as dispatched
)
-- Overlap forbid for a tick claimed as a job (handed back by a stopping node, recovered from a
-- dead one): the schedule's earlier runs still unfinished (see busy in CLAIM_SCHEDULE_TICKS_SQL).
select c.id, c.project_id, c.schedule_id, c.shard, c.source, ${runCallObject('c')} as call,
       c.scheduled_ms, c.due_ms, c.attempts, c.epoch, c.dispatched, s.overlap,
       case when s.overlap = 'forbid' and c.source = 'schedule' then (
         select coalesce(json_agg(json_build_object('j', b.id, 'at', ${ms('b.scheduled_at')})), '[]'::json) from (
           select j.id, j.scheduled_at from jobs j
            where j.schedule_id = c.schedule_id and j.next_attempt_at is not null
              and j.id <> c.id and j.scheduled_at < to_timestamp(c.scheduled_ms / 1000.0)
            limit ${BUSY_LIMIT}) b
       ) end as busy
  from c left join schedules s on s.id = c.schedule_id`;
