/**
 * Tunables of the timer and the logger shape it needs. Defaults suit production; tests shrink
 * the lease TTL and the intervals.
 */

export interface TimerOptions {
  /** How long a shard lease lasts without renewal. Renewed every TTL/3. Default 10 000 ms. */
  leaseTtlMs: number;
  /** How far ahead the due queue holds work. Default 30 000 ms. */
  horizonMs: number;
  /**
   * How long before its time a tick/job is claimed in the database. Default 750 ms: with the
   * default `dispatchMarkMs` the claim statement itself marks what it claims dispatched, so a
   * job costs one row update before its call instead of two.
   */
  claimAheadMs: number;
  /**
   * A claim step claims what is due within `claimAheadMs + claimBatchMs`, so ticks a few hundred
   * ms apart share one statement instead of one statement per distinct millisecond. Default 250.
   */
  claimBatchMs: number;
  /**
   * How long before its due moment a claimed job is marked dispatched in the database (one
   * batched UPDATE for everything due within `dispatchMarkMs + 50 ms`). Until its mark a claimed
   * job can still be cancelled (schedule pause/delete too); from its mark on it is sent. Keep it
   * above the database round trip: a fire whose mark has not been answered waits for it. Work
   * already inside this window when it is claimed is marked by the claim statement: at or above
   * `claimAheadMs + claimBatchMs - 50` there is no separate mark at all. Default 1 000 ms (so a
   * job can be cancelled until about a second before its time).
   */
  dispatchMarkMs: number;
  /** A tick later than this follows the schedule's misfire policy. Default 60 000 ms. */
  misfireThresholdMs: number;
  /** Period of the full refill of the due queue from the database. Default 5 000 ms. */
  refillIntervalMs: number;
  /** Executions are written at least this often while some are pending. Default 50 ms. */
  flushIntervalMs: number;
  /** ...or as soon as this many are pending. Default 500. */
  flushMaxRows: number;
  /** How long project signing secrets are cached. Default 30 000 ms. */
  secretTtlMs: number;
  /** At most this many ticks of one schedule are claimed by one statement. Default 100. */
  maxTicksPerClaim: number;
  /** Rows per claim statement. Default 500. */
  claimBatchRows: number;
  /**
   * Rows per refill query (per kind). A larger backlog is read page after page as claims drain
   * the queue. Default 5 000.
   */
  refillLimit: number;
  /**
   * Claimed work a node holds at most (claimed, waiting, in flight or being written). Past it,
   * due work stays in the queue (and `scheduled` in the database) until results drain: a burst
   * of 50,000 due jobs is claimed as the calls go out, not all at once into memory. Default 10 000.
   */
  maxOwned: number;
  /** Node id; default a new `node_...` id. */
  nodeId?: string;
}

export const DEFAULT_TIMER_OPTIONS: TimerOptions = {
  leaseTtlMs: 10_000,
  horizonMs: 30_000,
  claimAheadMs: 750,
  claimBatchMs: 250,
  dispatchMarkMs: 1_000,
  misfireThresholdMs: 60_000,
  refillIntervalMs: 5_000,
  flushIntervalMs: 50,
  flushMaxRows: 500,
  secretTtlMs: 30_000,
  maxTicksPerClaim: 100,
  claimBatchRows: 500,
  refillLimit: 5_000,
  maxOwned: 10_000,
};

export function resolveOptions(partial: Partial<TimerOptions> = {}): TimerOptions {
  const o: TimerOptions = { ...DEFAULT_TIMER_OPTIONS };
  for (const [k, v] of Object.entries(partial)) {
    if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  }
  const positive: (keyof TimerOptions)[] = [
    'leaseTtlMs',
    'horizonMs',
    'misfireThresholdMs',
    'refillIntervalMs',
    'flushIntervalMs',
    'flushMaxRows',
    'maxTicksPerClaim',
    'claimBatchRows',
    'refillLimit',
    'maxOwned',
  ];
  for (const k of positive) {
    const v = o[k] as number;
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`timer option ${k} must be a positive number, got ${v}`);
  }
  if (o.claimAheadMs < 0 || o.claimBatchMs < 0 || o.dispatchMarkMs < 0 || o.secretTtlMs < 0) throw new RangeError('timer options must not be negative');
  if (o.claimAheadMs + o.claimBatchMs >= o.horizonMs) {
    throw new RangeError(`claimAheadMs + claimBatchMs (${o.claimAheadMs + o.claimBatchMs}) must be less than horizonMs (${o.horizonMs})`);
  }
  if (o.refillIntervalMs >= o.horizonMs - o.claimAheadMs - o.claimBatchMs) {
    // Otherwise something due just beyond the horizon at one refill could be claimed late.
    throw new RangeError(`refillIntervalMs (${o.refillIntervalMs}) must be less than horizonMs - claimAheadMs - claimBatchMs`);
  }
  return o;
}

type LogFn = (obj: object, msg?: string) => void;

/** The part of a pino logger the timer uses (a pino `Logger` fits). */
export interface TimerLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export const silentLogger: TimerLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * A loggable summary of an error. The ORM puts the whole statement (with its JSON batch) in the
 * message: keep the driver's reason, which follows the last ' - '.
 */
export function errorInfo(err: unknown): { err: string; code?: string } {
  const code = (err as { code?: unknown } | null)?.code;
  let message = err instanceof Error ? err.message : String(err);
  if (message.length > 300) {
    const cut = message.lastIndexOf(' - ');
    message = cut >= 0 ? message.slice(cut + 3) : `${message.slice(0, 300)}...`;
  }
  return { err: message.slice(0, 1000), ...(typeof code === 'string' ? { code } : {}) };
}
