import { ms } from '../../store/sql/values.js';

/**
 * Claims pending alerts for delivery: one conditional UPDATE fenced on the shard lease (owner,
 * epoch, not expired) and on the row as the claimer read it (still pending, same attempts, same
 * `next_attempt_at`), which moves `next_attempt_at` `$3` ms ahead: while the delivery runs, no
 * refill finds the row; if it never records (the node died), it is due again then. Params:
 * alerts (jsonb: id, shard, epoch, attempts, due_ms), node id, hold (ms).
 */
export const CLAIM_ALERTS_SQL = `
with input as (
  select * from jsonb_to_recordset($1::jsonb) as x(id text, shard int, epoch bigint, attempts int, due_ms float8)
),
fenced as materialized (
  select i.* from input i join shard_leases l on l.shard = i.shard and l.epoch = i.epoch
   where l.owner = $2 and l.expires_at > now()
),
-- A reminder (enqueue-reminder.ts) goes out only while its subject is still failing and nothing
-- newer was said about it (a recovery, a new streak's own alert); otherwise it is dropped.
stale as (
  select a.id from alerts a join fenced i on a.id = i.id
   where (a.payload->>'reminder')::boolean
     and (not exists (select 1 from schedules s where a.subject_type = 'schedule' and s.id = a.subject_id and s.failure_streak > 0)
          and not exists (select 1 from monitors m where a.subject_type = 'monitor' and m.id = a.subject_id and m.status = 'down')
          or exists (select 1 from alerts b where b.subject_id = a.subject_id and b.created_at > a.created_at
                      and not coalesce((b.payload->>'reminder')::boolean, false)))
),
dropped as (
  delete from alerts a using stale x where a.id = x.id and a.status = 'pending'
)
update alerts a
   set next_attempt_at = now() + $3::int * interval '1 millisecond'
  from fenced i
 where a.id = i.id and a.shard = i.shard and a.status = 'pending' and a.attempts = i.attempts
   and ${ms('a.next_attempt_at')} = i.due_ms
   and a.id not in (select id from stale)
returning a.id, a.project_id, a.shard, a.event, a.subject_type, a.subject_id, a.change_id, a.channel, a.target, a.format,
          a.headers, a.payload, a.attempts, ${ms('a.created_at')} as created_ms, i.epoch`;

/**
 * Hands claimed alerts that were not sent back (a stopping node): due now, for the next owner.
 * Params: alerts (jsonb: id, attempts).
 */
export const HAND_BACK_ALERTS_SQL = `
update alerts a
   set next_attempt_at = now()
  from jsonb_to_recordset($1::jsonb) as x(id text, attempts int)
 where a.id = x.id and a.status = 'pending' and a.attempts = x.attempts
returning a.id`;
