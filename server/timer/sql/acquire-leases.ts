/**
 * Takes up to `?` free or expired leases, lowest shards first, bumping each one's epoch (the
 * fence of everything claimed under the old owner). `previous_owner` is the node whose expired
 * lease was taken over (null for a free lease: never held, or released). Params: node id, TTL
 * ms, how many.
 */
export const ACQUIRE_LEASES_SQL = `
update shard_leases l
   set owner = ?, epoch = l.epoch + 1, expires_at = now() + ?::int * interval '1 millisecond'
  from (select shard, owner from shard_leases
         where owner is null or expires_at is null or expires_at < now()
         order by shard
         limit ?
         for update skip locked) prev
 where l.shard = prev.shard
   and (l.owner is null or l.expires_at is null or l.expires_at < now())
returning l.shard, l.epoch, prev.owner as previous_owner`;
