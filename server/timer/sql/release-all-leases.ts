/** Gives up every lease of this node (shutdown). Params: node id. */
export const RELEASE_ALL_LEASES_SQL = `update shard_leases set owner = null, expires_at = null where owner = ? returning shard`;
