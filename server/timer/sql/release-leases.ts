/** Gives up some of this node's leases (owner and expiry cleared). Params: node id, shards (int[] literal). */
export const RELEASE_LEASES_SQL = `update shard_leases set owner = null, expires_at = null where owner = ? and shard = any(?::int[]) returning shard`;
