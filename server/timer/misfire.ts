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
    next = nextRunAfter(trigger, new Date(nowMs), new Date(dueMs))?.getTime() ?? null;
  }
  const until = nowMs + opts.claimAheadMs;
  while (next !== null && next <= until && ticks.length < opts.maxTicks) {
    ticks.push(next);
    const d: Date = new Date(next);
    next = nextRunAfter(trigger, d, d)?.getTime() ?? null;
  }
  return { ticks, nextRunAtMs: next, misfire };
}
