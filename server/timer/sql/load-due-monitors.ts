import { ms } from '../../store/sql/values.js';

/**
 * Monitor deadlines due before `$2` on the shards `$1`, from `$4` on (a page of `$3`, earliest
 * first): one scan of `monitors_due_idx` on `(shard, next_deadline_at) where next_deadline_at is
 * not null`. Paused monitors and monitors waiting for their first ping have no deadline.
 */
export const LOAD_DUE_MONITORS_SQL = `
select id, shard, ${ms('next_deadline_at')} as due_ms
  from monitors
 where shard = any($1::int[]) and next_deadline_at is not null
   and next_deadline_at < $2::timestamptz and next_deadline_at >= $4::timestamptz
 order by next_deadline_at
 limit $3`;
