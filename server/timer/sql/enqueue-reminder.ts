import { ALERT_COLUMNS } from '../../store/outbox.js';

/**
 * The next reminder of a failure alert just delivered (`job.failed`, `job.timeout`,
 * `monitor.down`, or a reminder itself), while its subject is still failing and has
 * `alert_reminder_seconds`: the same message to the same receiver, marked `reminder` in its
 * payload, due that many seconds from now. Its change id is the first alert's with the
 * reminder's due time, so a reminder is enqueued once per receiver and time whoever delivers
 * twice. Params: alert id, new alert id.
 */
export const ENQUEUE_REMINDER_SQL = `
with a as (
  select a.*, coalesce(s.alert_reminder_seconds, m.alert_reminder_seconds) as every_s
    from alerts a
    left join schedules s on a.subject_type = 'schedule' and s.id = a.subject_id and s.failure_streak > 0
    left join monitors m on a.subject_type = 'monitor' and m.id = a.subject_id and m.status = 'down'
   where a.id = $1 and a.event in ('job.failed', 'job.timeout', 'monitor.down')
),
due as (
  select a.*, date_trunc('milliseconds', now() + a.every_s * interval '1 second') as at from a where a.every_s is not null
)
insert into alerts (${ALERT_COLUMNS})
select $2, project_id, shard, event, subject_type, subject_id,
       split_part(change_id, '#', 1) || '#' || to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       channel, target, format, headers, payload || '{"reminder": true}'::jsonb, 'pending', 0, at, now()
  from due
on conflict do nothing
returning id, ${'floor(extract(epoch from next_attempt_at) * 1000)::float8'} as due_ms`;
