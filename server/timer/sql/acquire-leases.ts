/**
 * Takes up to `?` free or expired leases, lowest shards first, bumping each one's epoch (the
 * fence of everything claimed under the old owner). Params: node id, TTL ms, how many.
 */
export const ACQUIRE_LEASES_SQL = `
update shard_leases
   set owner = ?, epoch = epoch + 1, expires_at = now() + ?::int * interval '1 millisecond'
 where shard in (select shard from shard_leases
                  where owner is null or expires_at is null or expires_at < now()
                  order by shard
                  limit ?
                  for update skip locked)
   and (owner is null or expires_at is null or expires_at < now())
returning shard, epoch`;
