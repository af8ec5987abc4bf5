import { performance } from 'node:perf_hooks';
import type { Database } from '../store/database.js';
import { markDispatched } from '../store/job-transitions.js';
import type { CancelNotices } from './changes.js';
import type { TimerMetrics } from './metrics.js';
import type { FirePath } from './fire.js';
import type { TimerLogger, TimerOptions } from './options.js';
import type { OwnedItems } from './owned.js';

/** A dispatch mark step marks what is due within `dispatchMarkMs` + this. */
export const MARK_BATCH_MS = 50;

export interface DispatchMarkDeps {
  db: Database;
  nodeId: string;
  options: TimerOptions;
  owned: OwnedItems;
  cancels: CancelNotices;
  fire: FirePath;
  metrics: TimerMetrics;
  logger: TimerLogger;
  now(): number;
  /** A mark was refused: the job may still be `running` under this node's epoch (see below). */
  refused(): void;
}

/**
 * The dispatch mark step: marks claimed attempts due by `now + dispatchMarkMs (+ 50 ms)`
 * dispatched (one batched UPDATE per `claimBatchRows`) and arms them; what the database refuses
 * (cancelled, re-claimed elsewhere, lease lapsed) is dropped unsent. Returns the number of
 * attempts the statements were asked about.
 */
export async function markStep(deps: DispatchMarkDeps, nowMs: number): Promise<number> {
  const { owned } = deps;
  const batch = owned.markable(nowMs + deps.options.dispatchMarkMs + MARK_BATCH_MS);
  let asked = 0;
  const t0 = performance.now();
  const size = deps.options.claimBatchRows;
  for (let i = 0; i < batch.length; i += size) {
    const part = [];
    for (const o of batch.slice(i, i + size)) {
      if (!deps.cancels.has(o.item.jobId)) {
        part.push(o);
        continue;
      }
      deps.fire.drop(o);
      deps.metrics.cancelledTold.inc();
    }
    asked += part.length;
    let marked: Set<string>;
    try {
      marked = await markDispatched(
        deps.db,
        deps.nodeId,
        part.map((o) => o.item),
      );
    } catch (err) {
      // Not answered: back to `claimed`, marked again at the next step (the statement is
      // idempotent; a job it did mark is still `running` under our epoch).
      for (const o of batch.slice(i)) if (owned.is(o, 'marking')) owned.move(o, 'claimed');
      throw err;
    }
    for (const o of part) {
      if (!owned.is(o, 'marking')) continue; // dropped meanwhile (shard lost)
      if (marked.has(o.item.jobId) && !deps.cancels.has(o.item.jobId)) {
        owned.move(o, 'armed');
      } else {
        // Cancelled, or re-claimed elsewhere, or our lease had lapsed in the database. In the
        // last case the row is still `running` under our epoch (a lapsed lease that nobody
        // took is renewed with the same epoch): the next full refill must read our own claims.
        deps.fire.drop(o);
        deps.metrics.cancelledAtMark.inc();
        deps.refused();
      }
    }
  }
  if (asked > 0) {
    // `slackMs`: how long before the earliest of them was due the marks were answered (< 0: the
    // database was slower than dispatchMarkMs and those fires wait for it).
    deps.logger.debug(
      { node: deps.nodeId, asked, ms: Math.round(performance.now() - t0), slackMs: Math.round(batch[0].item.dueMs - deps.now()) },
      'timer: dispatch mark step',
    );
  }
  return asked;
}
