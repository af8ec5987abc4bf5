/**
 * Extends every lease this node owns by the TTL; returns them with their epochs. Params: TTL ms,
 * node id. Renewing a lease that expired but that nobody took over is safe: its epoch did not
 * change, so nobody fired under a newer one.
 */
export const RENEW_LEASES_SQL = `update shard_leases set expires_at = now() + ?::int * interval '1 millisecond' where owner = ? returning shard, epoch`;
