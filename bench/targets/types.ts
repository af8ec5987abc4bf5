/**
 * What the bench needs from a scheduler under test. Tock and each peer implement it; the
 * orchestrator drives every implementation in its own child process through `RemoteTarget`
 * (bench/targets/remote.ts), so the target owns its event loop like it would in production.
 *
 * Call order: setup -> scheduleAt (jobs inserted ahead of their due time) -> start -> (jobs fire
 * and call the sink) -> stop.
 */

export interface BenchJob {
  /** Bench id, sent back to the sink as `x-job-id` (duplicate detection). */
  id: string;
  /** When the job is due, in Unix ms; sent to the sink as `x-due-at`. */
  dueAtMs: number;
}

export interface BenchTarget {
  readonly name: string;
  /** Human-readable settings that bound the result (poll interval, concurrency, ...), for the report. */
  tuning(): Record<string, string | number | boolean>;
  /** Connects to (and migrates) the fresh database `dbUrl`; jobs must call `sinkUrl`. */
  setup(dbUrl: string, sinkUrl: string): Promise<void>;
  /** Stores one-time jobs due at the given times. Called before `start`. */
  scheduleAt(jobs: BenchJob[]): Promise<void>;
  /** Starts the worker / scheduler. */
  start(): Promise<void>;
  /** Stops it and releases connections. */
  stop(): Promise<void>;
  /**
   * Jobs the target has recorded as done in its own storage (Tock: execution rows written;
   * pg-boss: jobs `completed`; graphile-worker: jobs gone from its queue). The ramp counts a rate
   * as sustained only when this reaches every job: delivered *and* persisted.
   */
  finished(): Promise<number>;
  /** Resident set size of the process that runs the worker/scheduler. */
  rssBytes?(): number | Promise<number>;
}

/** Raised by a target that cannot run yet (e.g. the Tock timer is not merged); reported as "pending". */
export class TargetPendingError extends Error {
  readonly code = 'TARGET_PENDING';
  constructor(message: string) {
    super(message);
    this.name = 'TargetPendingError';
  }
}

export function isPending(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'TARGET_PENDING';
}

/** Per-target tuning passed from the CLI (`--gw-concurrency` etc.) to the child process. */
export type TargetConfig = Record<string, number | string | boolean | undefined>;

export const TARGET_NAMES = ['tock', 'graphile-worker', 'pg-boss'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];
