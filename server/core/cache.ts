/**
 * A bounded cache of recent lookups with a short time to live, for reads every request makes
 * (the key behind a secret, the project a key acts on). Bounded by entries: past `maxEntries`
 * the least recently used entry goes. An entry older than `ttlMs` is read again, so a change
 * made on another node is seen within `ttlMs`; a change made here deletes its entries at once.
 *
 * Concurrent lookups of one key share one load. Only found values are kept: a load that answers
 * `null` (unknown) or fails is forgotten as soon as it settles, so a miss is never remembered as
 * a hit and misses cannot grow the cache past what is in flight.
 */
interface Entry<V> {
  /** The load in flight, or its settled value. */
  value: Promise<V | null>;
  /** Set once the load answered a value. */
  loaded?: { value: V };
  /** When it must be read again (ms); counted from the moment its load started. */
  expiresAtMs: number;
}

export interface TtlCacheOptions {
  maxEntries: number;
  ttlMs: number;
  /** Milliseconds now; default `Date.now`. */
  nowMs?: () => number;
}

export class TtlCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly nowMs: () => number;

  constructor(private readonly opts: TtlCacheOptions) {
    this.nowMs = opts.nowMs ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached value of `key`, or `load(key)`'s (kept only when not null). */
  get(key: K, load: (key: K) => Promise<V | null>): Promise<V | null> {
    const now = this.nowMs();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAtMs > now) {
      // Map order is insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const entry: Entry<V> = { value: load(key), expiresAtMs: now + this.opts.ttlMs };
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
    entry.value.then(
      (v) => {
        if (v === null) this.forget(key, entry);
        else entry.loaded = { value: v };
      },
      () => this.forget(key, entry),
    );
    return entry.value;
  }

  /** Drops `key`: the next lookup loads it again. A load in flight for it is not kept either. */
  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose value matches, and every load in flight (its value may match). */
  deleteWhere(match: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) {
      if (!entry.loaded || match(entry.loaded.value)) this.entries.delete(key);
    }
  }

  private forget(key: K, entry: Entry<V>): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }
}
