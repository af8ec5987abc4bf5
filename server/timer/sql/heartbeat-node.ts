/**
 * Registers this node (or refreshes its heartbeat) and reads, in the same round trip, how many
 * nodes are live (heartbeat within the TTL) and when the earliest lease of another node expires
 * (ms from now, database time). Params: node id, hostname, pid, node id, TTL ms, node id.
 */
export const HEARTBEAT_NODE_SQL = `
with hb as (
  insert into scheduler_nodes (id, hostname, pid) values (?, ?, ?)
  on conflict (id) do update set heartbeat_at = now()
  returning id
)
select 1 + (select count(*) from scheduler_nodes
            where id <> ? and heartbeat_at > now() - ?::int * interval '1 millisecond')::int as live,
       (select extract(epoch from min(expires_at) - now()) * 1000 from shard_leases
         where owner is not null and owner <> ? and expires_at > now())::float8 as next_expiry_ms`;
