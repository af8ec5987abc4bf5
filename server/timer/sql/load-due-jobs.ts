import { ms } from '../../store/sql/values.js';

/**
 * Jobs due before `$3` on the shards `$1` (with this node's lease epochs `$2`), from `$6` on (a
 * page of `$5`, earliest first): one ordered scan of `jobs_due_idx` on `(shard, next_attempt_at)
 * where status in ('scheduled', 'running')` per shard. Those waiting for their (next) attempt,
 * and those `running` under an older epoch than this node's lease (claimed by a node that died or
 * lost the shard: they run again). Jobs running under this node's own epoch are its own claims
 * and are left out unless `$4` (see the job source); jobs claimed under a newer epoch are never
 * this node's to run.
 */
export const LOAD_DUE_JOBS_SQL = `
select d.id, d.shard, d.due_ms, d.status
  from unnest($1::int[], $2::bigint[]) as o(shard, epoch)
  cross join lateral (
    select j.id, j.shard, ${ms('j.next_attempt_at')} as due_ms, j.next_attempt_at, j.status
      from jobs j
     where j.shard = o.shard and j.status in ('scheduled', 'running') and j.next_attempt_at < $3::timestamptz
       and j.next_attempt_at >= $6::timestamptz
       and (j.status = 'scheduled' or j.lease_epoch is null or j.lease_epoch < o.epoch or ($4::boolean and j.lease_epoch = o.epoch))
     order by j.next_attempt_at
     limit $5) d
 order by d.next_attempt_at
 limit $5`;
