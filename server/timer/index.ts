/**
 * The timer: sharded due queues, claim-ahead and the fire path. See node.ts for the parts, the
 * loops and their invariants, leases.ts for shard ownership and fencing, sources/ for the kinds
 * of due work.
 *
 * The composition root starts one per node (unless TOCK_SCHEDULER=false), hands its `waker` to
 * the core and the core's deadline decision to it (the core is made first, with a waker that
 * forwards to the timer once it runs):
 *
 *   const core = createCore({ db, waker: forwardingToTimer, publicUrl });
 *   const timer = await startScheduler({ db, databaseUrl, executor, logger, options, monitorDeadlines: core.monitorDeadlines });
 *   ...
 *   await timer.stop(config.shutdownDeadlineMs);
 */
import type { Registry } from 'prom-client';
import type { Waker } from '../core/wake.js';
import { Scheduler, type SchedulerDeps, type SchedulerStats } from './node.js';

export type StartSchedulerInput = Omit<SchedulerDeps, 'random'>;

export interface RunningScheduler {
  nodeId: string;
  /** Give it to the core: it tells this node (in process) and the others (NOTIFY) about new due work and cancels. */
  waker: Waker;
  /** Stop claiming, finish in-flight calls up to `deadlineMs`, write results, release leases. */
  stop(deadlineMs?: number): Promise<void>;
  /** A summary read from the node's metrics. */
  stats(): Promise<SchedulerStats>;
  /** The node's prom-client registry (its own: several nodes in one process do not clash). */
  metrics: Registry;
}

/** Registers the node, takes its share of leases and starts the loops. */
export async function startScheduler(input: StartSchedulerInput): Promise<RunningScheduler> {
  const scheduler = createScheduler(input);
  await scheduler.start();
  return {
    nodeId: scheduler.nodeId,
    waker: scheduler,
    stop: (deadlineMs) => scheduler.stop(deadlineMs),
    stats: () => scheduler.stats(),
    metrics: scheduler.metrics.registry,
  };
}

/** A scheduler whose loops are not running: call its steps directly (tests), or `start()` it. */
export function createScheduler(input: SchedulerDeps): Scheduler {
  return new Scheduler(input);
}

export { Scheduler, type CallExecutor, type ClaimStepResult, type SchedulerDeps, type SchedulerStats } from './node.js';
export { TimerMetrics, type MetricValues } from './metrics.js';
export type { MonitorDeadlineDecision } from './sources/monitors.js';
export { DEFAULT_TIMER_OPTIONS, silentLogger, type TimerLogger, type TimerOptions } from './options.js';
export { createNotifyWaker, WAKE_CHANNEL, formatCancel, formatWake, parseWake } from './wake.js';
export { fairShare, type LeaseChange } from './leases.js';
export { misfireAction, planTicks } from './misfire.js';
