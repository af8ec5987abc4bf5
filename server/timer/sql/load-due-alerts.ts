import { ms } from '../../store/sql/values.js';

/**
 * Pending alerts due before `$2` on the shards `$1`, from `$4` on (a page of `$3`, earliest
 * first): one ordered scan of `alerts_due_idx` on `(shard, next_attempt_at) where status =
 * 'pending'` per shard. An alert being delivered has its `next_attempt_at` moved past the
 * delivery's timeout by its claim, so it is found again only if that delivery never recorded.
 */
export const LOAD_DUE_ALERTS_SQL = `
select d.id, d.shard, d.due_ms, d.attempts
  from unnest($1::int[]) as o(shard)
  cross join lateral (
    select a.id, a.shard, ${ms('a.next_attempt_at')} as due_ms, a.next_attempt_at, a.attempts
      from alerts a
     where a.shard = o.shard and a.status = 'pending' and a.next_attempt_at < $2::timestamptz
       and a.next_attempt_at >= $4::timestamptz
     order by a.next_attempt_at
     limit $3) d
 order by d.next_attempt_at
 limit $3`;
