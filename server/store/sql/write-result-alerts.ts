import { ALERT_COLUMNS, alertRowsFrom, FLIP_COLUMNS, flipRowsFrom } from '../outbox.js';

/**
 * What finished jobs change besides their own rows, written in the result's transaction (after
 * WRITE_ATTEMPTS_SQL, whose row locks on the schedules it holds): the alert rows (outbox; a row
 * already enqueued for the same change and receiver is skipped), the schedules' health flips and
 * their failure streaks. Returns the shards of the alert rows inserted (their owners deliver them).
 * Params: alerts (jsonb, outbox.ts `alertJson`), flips (jsonb, `flipJson`), streaks (jsonb: id, streak).
 */
export const WRITE_RESULT_ALERTS_SQL = `
with ins as (
  insert into alerts (${ALERT_COLUMNS}) ${alertRowsFrom('$1::jsonb')}
  on conflict do nothing
  returning shard
),
fl as (
  insert into flips (${FLIP_COLUMNS}) ${flipRowsFrom('$2::jsonb')}
  on conflict (id) do nothing
),
st as (
  update schedules s
     set failure_streak = x.streak
    from jsonb_to_recordset($3::jsonb) as x(id text, streak int)
   where s.id = x.id
)
select distinct shard from ins`;
