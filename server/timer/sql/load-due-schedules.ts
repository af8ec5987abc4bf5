import { ms } from '../../store/sql/values.js';

/**
 * Active schedules due before `$2` on the shards `$1`, from `$4` on (a page of `$3`, earliest
 * first): one scan of `schedules_due_idx` on `(shard, next_run_at) where state = 'active'`.
 * `next_run_s` is `extract(epoch from next_run_at)` exactly, for the claim's `next_run_at` check.
 */
export const LOAD_DUE_SCHEDULES_SQL = `
select id, shard, ${ms('next_run_at')} as due_ms, extract(epoch from next_run_at)::text as next_run_s,
       cron, timezone, interval_seconds, misfire
  from schedules
 where shard = any($1::int[]) and state = 'active' and next_run_at < $2::timestamptz and next_run_at >= $4::timestamptz
 order by next_run_at
 limit $3`;
