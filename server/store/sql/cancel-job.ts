/**
 * The cancel of one job: wins only while the job is not dispatched. `attempts` loses the claim's
 * count (a claim increments it before anything is sent). Params: now, now, job id, project id.
 */
export const CANCEL_JOB_SQL = `
update jobs
   set status = 'cancelled',
       attempts = case when status = 'running' then greatest(attempts - 1, 0) else attempts end,
       next_attempt_at = null, finished_at = ?::timestamptz, updated_at = ?::timestamptz
 where id = ? and project_id = ?
   and (status = 'scheduled' or (status = 'running' and dispatched_at is null))
returning attempts`;
