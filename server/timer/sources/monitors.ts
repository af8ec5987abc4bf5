import type { DueDeadline, WonDeadline } from '../../core/monitors/deadlines.js';
import type { Database } from '../../store/database.js';
import { iso, pgArray } from '../../store/sql/values.js';
import type { TimerMetrics } from '../metrics.js';
import { LOAD_DUE_MONITORS_SQL } from '../sql/load-due-monitors.js';
import type { ClaimContext, DuePage, DueSource, Fenced, SourceClaim } from './source.js';

/**
 * Monitor deadlines as due work: a monitor with a deadline is due at it. The claim is the whole
 * work: the core's deadline decision, one conditional update per monitor that turns it down (or
 * counts one more missed period) and writes its flip and alert outbox rows in the same statement.
 * It hands over nothing to run.
 *
 * Ordering: a deadline is decided only once it has passed (a ping up to the deadline keeps the
 * monitor up), so the lead is 0 and an entry the claim step took early (a claim step takes
 * what is due within its batch window) goes back into the queue as `next`, due at its deadline.
 *
 * Fencing: the decision is conditional on the monitor's revision and on the deadline still
 * being the one loaded, not on the lease epoch: whichever node decides (the owner, a node that
 * took the shard over, both during a handover), exactly one write wins per deadline and a ping
 * that came first makes it lose. The monitor's next deadline (a policy that counts missed
 * periods keeps one while down) goes into the queue as `next`.
 */
export interface MonitorDue {
  kind: 'monitor';
  id: string;
  shard: number;
  /** The deadline (ms); the decision is conditional on it. */
  dueMs: number;
}

/** The core's deadline decision (`core.monitorDeadlines`). */
export interface MonitorDeadlineDecision {
  /** Decides the deadlines of `items` that passed by `now`; returns the decisions this call won, by monitor id. */
  decide(items: readonly DueDeadline[], now: Date): Promise<Map<string, WonDeadline>>;
}

interface MonitorRow {
  id: string;
  shard: number;
  due_ms: number;
}

export interface MonitorSourceDeps {
  db: Database;
  decision: MonitorDeadlineDecision;
  metrics: TimerMetrics;
}

export class MonitorSource implements DueSource<MonitorDue> {
  readonly kind = 'monitor' as const;
  readonly leadMs = 0;

  constructor(private readonly deps: MonitorSourceDeps) {}

  async load(page: DuePage): Promise<MonitorDue[]> {
    if (page.shards.length === 0) return [];
    const rows = await this.deps.db.query<MonitorRow>(
      LOAD_DUE_MONITORS_SQL,
      [pgArray(page.shards.map((s) => s.shard)), iso(page.untilMs), page.limit, page.fromMs === null ? '-infinity' : iso(page.fromMs)],
      'tock_due_monitors',
    );
    return rows.map((r) => ({ kind: 'monitor', id: r.id, shard: Number(r.shard), dueMs: Number(r.due_ms) }));
  }

  admit(): boolean {
    return true;
  }

  same(a: MonitorDue, b: MonitorDue): boolean {
    return a.dueMs === b.dueMs && a.shard === b.shard;
  }

  async claim(batch: ReadonlyArray<Fenced<MonitorDue>>, ctx: ClaimContext): Promise<SourceClaim> {
    const due: MonitorDue[] = [];
    const early: MonitorDue[] = [];
    for (const { entry } of batch) (entry.dueMs <= ctx.nowMs ? due : early).push(entry);
    const won =
      due.length === 0
        ? new Map<string, WonDeadline>()
        : await this.deps.decision.decide(
            due.map((e) => ({ monitorId: e.id, deadline: new Date(e.dueMs) })),
            new Date(ctx.nowMs),
          );
    const out: SourceClaim = { items: [], claimed: won.size, lost: 0, reload: null, next: early, unfinished: new Map(), completeRuns: false };
    for (const e of due) {
      const decided = won.get(e.id);
      if (decided) {
        // Queued from here, not by a wake: a refill that starts before this claim is answered
        // leaves the row alone (changes.ts).
        if (decided.nextDeadlineAt) out.next.push({ ...e, dueMs: decided.nextDeadlineAt.getTime() });
        continue;
      }
      // A ping, an update or another node moved the deadline first: read the shard again.
      out.lost++;
      (out.reload ??= new Set()).add(e.shard);
    }
    this.deps.metrics.monitorDeadlinesDecided(won.size);
    return out;
  }
}
