import type { Misfire } from '../../core/types.js';
import type { Database } from '../../store/database.js';
import { claimScheduleTicks, nextRunText, type TickClaim } from '../../store/job-transitions.js';
import { iso, pgArray } from '../../store/sql/values.js';
import type { TimerMetrics } from '../metrics.js';
import { planTicks, type TickPlan } from '../misfire.js';
import type { TimerLogger, TimerOptions } from '../options.js';
import { LOAD_DUE_SCHEDULES_SQL } from '../sql/load-due-schedules.js';
import type { ClaimContext, DuePage, DueSource, Fenced, SourceClaim } from './source.js';

/**
 * Schedules as due work: an active schedule is due at its `next_run_at`. Its claim plans the
 * ticks due within the window the claim step took it from (`leadMs + claimBatchMs` from now;
 * misfire policy included: misfire.ts), inserts them as jobs already claimed and moves
 * `next_run_at` past them, in one fenced statement; the schedule's next occurrence goes back into
 * the queue. Planning over the lead alone would give a schedule due in the batch's last
 * `claimBatchMs` a claim that moves nothing, and a second statement for its tick.
 */
export interface ScheduleDue {
  kind: 'schedule';
  id: string;
  shard: number;
  dueMs: number;
  /** `extract(epoch from next_run_at)` exactly (seconds, text), for the claim's `next_run_at` check. */
  expectedNextRun: string;
  cron: string | null;
  timezone: string;
  intervalSeconds: number | null;
  misfire: Misfire;
}

interface ScheduleRow {
  id: string;
  shard: number;
  due_ms: number;
  next_run_s: string;
  cron: string | null;
  timezone: string;
  interval_seconds: number | null;
  misfire: Misfire;
}

export interface ScheduleSourceDeps {
  db: Database;
  nodeId: string;
  options: TimerOptions;
  metrics: TimerMetrics;
  logger: TimerLogger;
}

export class ScheduleSource implements DueSource<ScheduleDue> {
  readonly kind = 'schedule' as const;
  readonly leadMs: number;

  constructor(private readonly deps: ScheduleSourceDeps) {
    this.leadMs = deps.options.claimAheadMs;
  }

  async load(page: DuePage): Promise<ScheduleDue[]> {
    if (page.shards.length === 0) return [];
    const rows = await this.deps.db.query<ScheduleRow>(
      LOAD_DUE_SCHEDULES_SQL,
      [pgArray(page.shards.map((s) => s.shard)), iso(page.untilMs), page.limit, page.fromMs === null ? '-infinity' : iso(page.fromMs)],
      'tock_due_schedules',
    );
    return rows.map((r) => ({
      kind: 'schedule',
      id: r.id,
      shard: Number(r.shard),
      dueMs: Number(r.due_ms),
      expectedNextRun: r.next_run_s,
      cron: r.cron,
      timezone: r.timezone,
      intervalSeconds: r.interval_seconds === null ? null : Number(r.interval_seconds),
      misfire: r.misfire,
    }));
  }

  admit(): boolean {
    return true;
  }

  same(a: ScheduleDue, b: ScheduleDue): boolean {
    return (
      a.dueMs === b.dueMs &&
      a.shard === b.shard &&
      a.expectedNextRun === b.expectedNextRun &&
      a.cron === b.cron &&
      a.timezone === b.timezone &&
      a.intervalSeconds === b.intervalSeconds &&
      a.misfire === b.misfire
    );
  }

  async claim(batch: ReadonlyArray<Fenced<ScheduleDue>>, ctx: ClaimContext): Promise<SourceClaim> {
    const { options, metrics, logger } = this.deps;
    const planOpts = { claimAheadMs: this.leadMs + options.claimBatchMs, misfireThresholdMs: options.misfireThresholdMs, maxTicks: options.maxTicksPerClaim };
    const plans: TickPlan[] = [];
    const claims: TickClaim[] = [];
    for (const { entry: e, epoch } of batch) {
      const plan = planTicks(
        { trigger: { cron: e.cron, timezone: e.timezone, intervalSeconds: e.intervalSeconds }, dueMs: e.dueMs, misfire: e.misfire },
        ctx.nowMs,
        planOpts,
      );
      plans.push(plan);
      claims.push({
        scheduleId: e.id,
        shard: e.shard,
        epoch,
        expectedNextRun: e.expectedNextRun,
        cron: e.cron,
        timezone: e.timezone,
        intervalSeconds: e.intervalSeconds,
        ticks: plan.ticks,
        nextRunAtMs: plan.nextRunAtMs,
      });
    }
    const { moved, jobs, unfinished } = await claimScheduleTicks(this.deps.db, this.deps.nodeId, claims, ctx.markBeforeMs);
    const out: SourceClaim = { items: jobs, claimed: 0, lost: 0, reload: null, next: [], unfinished, completeRuns: true };
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i].entry;
      const plan = plans[i];
      if (!moved.has(e.id)) {
        out.lost++;
        (out.reload ??= new Set()).add(e.shard);
        continue;
      }
      out.claimed++;
      if (plan.misfire) metrics.misfire(plan.misfire);
      if (plan.misfire) logger.info({ schedule: e.id, missed: new Date(e.dueMs).toISOString(), policy: plan.misfire }, 'timer: misfire');
      const next = plan.nextRunAtMs;
      if (next !== null) out.next.push({ ...e, dueMs: next, expectedNextRun: nextRunText(next) });
    }
    return out;
  }
}
