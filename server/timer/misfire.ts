import { BoundedCache, stringBytes } from '../core/bounded-cache.js';
import { nextRunAfter, type Trigger } from '../core/schedules/timing.js';
import type { Misfire } from '../core/types.js';

/**
 * Misfire decision for a schedule tick found late.
 *
 * | lateness            | policy    | action                                               |
 * |---------------------|-----------|------------------------------------------------------|
 * | <= threshold        | any       | `fire`: fire it late (a failover loses nothing)      |
 * | >  threshold        | fire_once | `fire_once`: one catch-up run for all missed ticks   |
 * | >  threshold        | skip      | `skip`: no run for the missed ticks                  |
 *
 * In both misfire cases `next_run_at` then jumps to the first occurrence after now.
 */
export type MisfireAction = 'fire' | 'fire_once' | 'skip';

export function misfireAction(latenessMs: number, thresholdMs: number, policy: Misfire): MisfireAction {
  if (latenessMs <= thresholdMs) return 'fire';
  return policy === 'skip' ? 'skip' : 'fire_once';
}

// Many schedules share a pattern and fire at the same instants (every minute, on the hour...):
// the next occurrence of (cron, zone) after an instant is the same for all of them. Intervals are
// arithmetic and need no cache. Bounded by bytes too: a key carries the whole cron expression.
const nextCache = new BoundedCache<string, number | null>(20_000, 8 * 1024 * 1024, (key) => stringBytes(key) + 64);

/** `nextRunAfter` in epoch ms, memoised for cron triggers. */
export function nextAfterMs(trigger: Trigger, afterMs: number, anchorMs: number | null): number | null {
  if (!trigger.cron) return nextRunAfter(trigger, new Date(afterMs), anchorMs === null ? null : new Date(anchorMs))?.getTime() ?? null;
  const key = `${trigger.timezone}\u0000${trigger.cron}\u0000${afterMs}`;
  const hit = nextCache.get(key);
  if (hit !== undefined) return hit;
  const next = nextRunAfter(trigger, new Date(afterMs))?.getTime() ?? null;
  nextCache.set(key, next);
  return next;
}

export interface TickPlanInput {
  trigger: Trigger;
  /** The schedule's current `next_run_at` (ms). */
  dueMs: number;
  misfire: Misfire;
}

export interface TickPlan {
  /** Occurrences (ms) that become jobs now; ascending. */
  ticks: number[];
  /** The schedule's new `next_run_at` (ms), or null when it never fires again. */
  nextRunAtMs: number | null;
  /** Set when the first tick was a misfire. */
  misfire: Exclude<MisfireAction, 'fire'> | null;
}

/**
 * Which ticks of a schedule to claim at `nowMs`: every occurrence from `dueMs` up to
 * `nowMs + claimAheadMs` (at most `maxTicks`), after applying the misfire policy to a `dueMs`
 * more than `thresholdMs` in the past. A `fire_once` catch-up job carries the first missed
 * occurrence as its `scheduled_at`.
 */
export function planTicks(
  input: TickPlanInput,
  nowMs: number,
  opts: { claimAheadMs: number; misfireThresholdMs: number; maxTicks: number },
): TickPlan {
  const { trigger, dueMs } = input;
  const ticks: number[] = [];
  let next: number | null = dueMs;
  const action = misfireAction(nowMs - dueMs, opts.misfireThresholdMs, input.misfire);
  let misfire: TickPlan['misfire'] = null;
  if (action !== 'fire') {
    misfire = action;
    if (action === 'fire_once') ticks.push(dueMs);
    // Intervals keep their cadence from the missed occurrence; cron recomputes from now.
    next = nextAfterMs(trigger, nowMs, dueMs);
  }
  const until = nowMs + opts.claimAheadMs;
  while (next !== null && next <= until && ticks.length < opts.maxTicks) {
    ticks.push(next);
    next = nextAfterMs(trigger, next, next);
  }
  return { ticks, nextRunAtMs: next, misfire };
}
