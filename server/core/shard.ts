/** Number of virtual shards. Leases, due queues and the `shard` column all use this space. */
export const SHARD_COUNT = 256;

/**
 * Shard of an object id: FNV-1a 32-bit over the id's UTF-16 code units, modulo SHARD_COUNT.
 * Stable across processes and versions: it is stored in the `shard` column, so changing it
 * would strand rows on shards nobody looks at.
 */
export function shardOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % SHARD_COUNT;
}
