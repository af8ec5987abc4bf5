/**
 * A memo bounded by entry count and by an estimate of the bytes its entries hold. Whichever bound
 * a new entry would pass, the oldest entries go first (insertion order: a hit is one Map.get and
 * does not reorder). An entry larger than the whole byte bound is not kept at all.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, { value: V; bytes: number }>();
  #bytes = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
    private readonly sizeOf: (key: K, value: V) => number,
  ) {}

  get(key: K): V | undefined {
    return this.#entries.get(key)?.value;
  }

  set(key: K, value: V): void {
    const bytes = this.sizeOf(key, value);
    this.delete(key);
    if (bytes > this.maxBytes) return;
    while (this.#entries.size > 0 && (this.#entries.size >= this.maxEntries || this.#bytes + bytes > this.maxBytes)) {
      const oldest = this.#entries.keys().next().value as K;
      this.delete(oldest);
    }
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
  }

  delete(key: K): void {
    const old = this.#entries.get(key);
    if (old === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= old.bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The estimated bytes held (the sum of `sizeOf` over the entries). */
  get bytes(): number {
    return this.#bytes;
  }
}

/** Bytes of a JavaScript string as V8 may hold it (two per UTF-16 unit, the worst case). */
export const stringBytes = (s: string): number => 2 * s.length;
