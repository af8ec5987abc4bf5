/**
 * Writes attempt results in one statement: inserts the execution rows, moves their jobs
 * (terminal, or back to `scheduled` with `next_attempt_at` for a retry) and updates the
 * schedules' `last_run_at` / `last_status`. The job update is fenced on `status = 'running' AND
 * lease_epoch = <claim epoch>`: a node that lost the shard still records what it did (the
 * execution row) but cannot move a job its successor has re-claimed. Params: results (jsonb).
 *
 * Returns a row per job updated (`k = 'j'`: its id, whether it has its own terminal-state
 * webhook) and a row per schedule updated (`k = 's'`: its id, and its failure streak and last
 * status as they were before this statement, read under the row lock), from which the caller
 * tells whether the results change anything alerts care about (store/result-alerts.ts).
 */
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
  returning j.id, j.schedule_id, i.job_status, i.started_at, i.terminal, i.run, j.webhook_url is not null as hooked
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
  select a.*, s.failure_streak as prev_streak, s.last_status as prev_status
    from schedules s join agg a on a.schedule_id = s.id order by s.id for no key update of s
),
sch as (
  update schedules s
     set last_run_at = greatest(coalesce(s.last_run_at, a.started_at), a.started_at),
         last_status = coalesce(a.final_status, s.last_status)
    from locked a
   where s.id = a.schedule_id
)
select 'j' as k, id, hooked, null::int as prev_streak, null::text as prev_status from upd
union all
select 's', schedule_id, null, prev_streak, prev_status from locked`;
