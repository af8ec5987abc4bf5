/**
 * The dispatch mark: commits the claimer to sending these jobs (see the cancel invariant in
 * server/store/job-transitions.ts). Only jobs still `running` under the claim's epoch, on a lease
 * the claimer still holds, are marked. Params: jobs (jsonb: id, shard, epoch), node id.
 */
export const MARK_DISPATCHED_SQL = `
with input as (select * from jsonb_to_recordset($1::jsonb) as x(id text, shard int, epoch bigint)),
-- The fence, joined on (shard, epoch) first (see CLAIM_SCHEDULE_TICKS_SQL).
fenced as materialized (
  select i.* from input i join shard_leases l on l.shard = i.shard and l.epoch = i.epoch
   where l.owner = $2 and l.expires_at > now()
),
-- Row locks in id order, like the cancel of a schedule's ticks (pause/delete): no deadlock. The
-- locked rows carry their epoch on to the update (one CTE scan, see CLAIM_SCHEDULE_TICKS_SQL).
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
