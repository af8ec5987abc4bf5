const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Counting semaphore with strict FIFO hand-off.
 *
 * `release` passes the permit straight to the oldest waiter instead of returning it to the pool,
 * so a caller arriving between a release and the waiter's wake-up cannot barge ahead: while
 * anyone is waiting, `available` stays 0.
 */
export class Semaphore {
  readonly capacity: number;
  #available: number;
  #waiters: Array<(() => void) | undefined> = [];
  #head = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Semaphore capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#available = capacity;
  }

  /** Permits currently held. */
  get inUse(): number {
    return this.capacity - this.#available;
  }

  /** Callers queued in `acquire`. */
  get waiting(): number {
    return this.#waiters.length - this.#head;
  }

  /** True when no permit is held and nobody waits, i.e. the semaphore can be discarded. */
  get idle(): boolean {
    return this.#available === this.capacity && this.#waiters.length === this.#head;
  }

  /** Takes a permit without waiting; false when none is free. */
  tryAcquire(): boolean {
    if (this.#available > 0) {
      this.#available--;
      return true;
    }
    return false;
  }

  /** Resolves once a permit is held; waiters are served in arrival order. */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return RESOLVED;
    return new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  release(): void {
    if (this.#head < this.#waiters.length) {
      const next = this.#waiters[this.#head] as () => void;
      this.#waiters[this.#head] = undefined;
      this.#head++;
      if (this.#head === this.#waiters.length) {
        this.#waiters = [];
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head);
        this.#head = 0;
      }
      next();
      return;
    }
    if (this.#available >= this.capacity) {
      throw new Error('Semaphore released more times than it was acquired');
    }
    this.#available++;
  }
}
