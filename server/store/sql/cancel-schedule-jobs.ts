/**
 * Cancels jobs of a schedule that have not been sent, in one statement: with `all`, every job
 * `scheduled` or claimed-not-dispatched (delete); without, only ticks whose first attempt has
 * not been sent (pause: a tick claimed ahead, or one handed back by a stopping node). Like a job
 * cancel it wins only against jobs not marked dispatched; rows are locked in id order, as the
 * dispatch mark does. Params: schedule id, all (boolean), now, now.
 */
export const CANCEL_SCHEDULE_JOBS_SQL = `
with target as (
  select id from jobs
   where schedule_id = ?
     and case when ?::boolean
              then status = 'scheduled' or (status = 'running' and dispatched_at is null)
              else source = 'schedule'
                   and ((status = 'running' and dispatched_at is null and attempts = 1) or (status = 'scheduled' and attempts = 0))
         end
   order by id
   for no key update
)
update jobs j
   set status = 'cancelled',
       attempts = case when j.status = 'running' then greatest(j.attempts - 1, 0) else j.attempts end,
       next_attempt_at = null, finished_at = ?::timestamptz, updated_at = ?::timestamptz
  from target t
 where j.id = t.id
   and (j.status = 'scheduled' or (j.status = 'running' and j.dispatched_at is null))
returning j.id, j.shard`;
