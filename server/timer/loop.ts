/**
 * The one way the timer runs a loop: a single step, called again and again, one at a time.
 *
 * - A step resolves whether it did work that may have left more to do right away (`true`): the
 *   loop then steps again at once. After a step that did none, the loop waits until `nextAt()`
 *   (a time on the timers' clock; null = until kicked).
 * - `kick()` asks for a step as soon as possible, `kickAt(t)` for one at `t` unless one is due
 *   earlier. A kick while a step runs makes the loop step again right after it, so a request
 *   that arrives mid-step is never lost and never runs a second step concurrently.
 * - A step that throws is retried after a backoff that doubles from `backoff.firstMs` up to
 *   `backoff.maxMs` and resets after a step that succeeds. Kicks during a backoff wait for it: a
 *   failing database is not hammered by every wake-up.
 */

/** The clock and timers a loop runs on (tests inject a manual one). */
export interface LoopTimers {
  now(): number;
  set(fn: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: LoopTimers = {
  now: () => Date.now(),
  set: (fn, delayMs) => {
    const t = setTimeout(fn, delayMs);
    t.unref();
    return t;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SteppedLoopOptions {
  name: string;
  /** One step; resolves true when it should run again at once. */
  step(): Promise<boolean>;
  /** After a step that did no work: when the next one is due by itself (null: only a kick starts one). */
  nextAt?(): number | null;
  backoff: { firstMs: number; maxMs: number };
  /** A step failed; the loop retries it in `retryInMs`. */
  onError(err: unknown, name: string, retryInMs: number): void;
  timers?: LoopTimers;
}

export class SteppedLoop {
  readonly name: string;
  private readonly timers: LoopTimers;
  private enabled = false;
  private stepping: Promise<void> | null = null;
  private again = false;
  private timer: unknown = null;
  private timerAt = Infinity;
  private backingOff = false;
  private failures = 0;

  constructor(private readonly opts: SteppedLoopOptions) {
    this.name = opts.name;
    this.timers = opts.timers ?? realTimers;
  }

  /** Whether a step is running now. */
  get busy(): boolean {
    return this.stepping !== null;
  }

  /** Starts stepping by itself (at `nextAt()`) and on kicks. */
  start(): void {
    if (this.enabled) return;
    this.enabled = true;
    this.rearm();
  }

  /** Runs one step now and waits for it (after the step in flight, if any). Never throws. */
  async stepNow(): Promise<void> {
    if (!this.enabled) return;
    if (this.stepping) {
      this.again = true;
      await this.stepping;
      return;
    }
    this.clearTimer();
    this.backingOff = false;
    this.stepping = this.run();
    await this.stepping;
  }

  /** A step as soon as possible: now, or right after the one in flight. */
  kick(): void {
    if (!this.enabled || this.backingOff) return;
    if (this.stepping) {
      this.again = true;
      return;
    }
    this.clearTimer();
    this.stepping = this.run();
  }

  /** A step at `atMs`, unless one is due earlier. */
  kickAt(atMs: number): void {
    if (!this.enabled || this.backingOff || !Number.isFinite(atMs)) return;
    if (this.stepping) {
      if (atMs <= this.timers.now()) this.again = true;
      else if (atMs < this.timerAt) this.setTimer(atMs);
      return;
    }
    if (this.timer !== null && atMs >= this.timerAt) return;
    this.setTimer(atMs);
  }

  /** Stops stepping; resolves once the step in flight (if any) has ended. */
  async stop(): Promise<void> {
    this.enabled = false;
    this.clearTimer();
    this.backingOff = false;
    await this.stepping;
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        let more: boolean;
        try {
          more = await this.opts.step();
          this.failures = 0;
        } catch (err) {
          const delay = Math.min(this.opts.backoff.maxMs, this.opts.backoff.firstMs * 2 ** this.failures);
          this.failures++;
          this.opts.onError(err, this.name, delay);
          if (this.enabled) {
            this.backingOff = true;
            this.setTimer(this.timers.now() + delay);
          }
          return;
        }
        if (more) this.again = true;
      } while (this.again && this.enabled);
    } finally {
      this.stepping = null;
    }
    this.rearm();
  }

  private rearm(): void {
    if (!this.enabled) return;
    const at = this.opts.nextAt?.() ?? null;
    if (at !== null) this.kickAt(at);
  }

  private setTimer(atMs: number): void {
    this.clearTimer();
    this.timerAt = atMs;
    this.timer = this.timers.set(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.backingOff = false;
        this.kick();
      },
      Math.max(0, atMs - this.timers.now()),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }
}
