import { monitorsByIds } from '../../store/monitor-reads.js';
import type { CoreDeps } from '../deps.js';
import { MonitorTransitions } from './transitions.js';

/**
 * The deadline decision, for the timer's monitor DueSource: a monitor whose deadline passed
 * without a ping goes down (or, when its policy counts them, counts one more missed period),
 * decided by ONE conditional update per monitor that also writes the flip and alert rows (see
 * store/monitor-transitions.ts). Whoever calls it — the shard's owner, a node that took the
 * shard over, two at once — exactly one write wins per deadline; a ping that arrived first
 * makes it lose and changes nothing.
 */

/** A deadline as the caller loaded it. */
export interface DueDeadline {
  monitorId: string;
  deadline: Date;
}

/** A deadline decision won: the monitor's shard and its next deadline (null: nothing more is due until it pings). */
export interface WonDeadline {
  shard: number;
  nextDeadlineAt: Date | null;
}

/** One due deadline as the timer loads it for its shards. */
export interface DueMonitorRow {
  id: string;
  shard: number;
  /** Epoch milliseconds. */
  deadlineMs: number;
}

/**
 * Monitors of `shards` with a deadline at or before `beforeMs`, earliest first (the index
 * monitors_due_idx serves it). Params: shard array literal, before (ISO), limit.
 */
export const DUE_MONITOR_DEADLINES_SQL = `
select id, shard, floor(extract(epoch from next_deadline_at) * 1000)::float8 as deadline_ms
  from monitors
 where shard = any($1::int[]) and next_deadline_at is not null and next_deadline_at <= $2::timestamptz
 order by next_deadline_at
 limit $3`;

export class MonitorDeadlines {
  private readonly transitions: MonitorTransitions;

  constructor(private readonly deps: CoreDeps) {
    this.transitions = new MonitorTransitions(deps);
  }

  /** Deadlines due by `before` on `shards`, for a DueSource's load. */
  async due(shards: readonly number[], before: Date, limit: number): Promise<DueMonitorRow[]> {
    if (shards.length === 0) return [];
    const rows = await this.deps.db.query<{ id: string; shard: number; deadline_ms: number }>(
      DUE_MONITOR_DEADLINES_SQL,
      [`{${shards.join(',')}}`, before.toISOString(), limit],
      'tock_due_monitor_deadlines',
    );
    return rows.map((r) => ({ id: r.id, shard: Number(r.shard), deadlineMs: Number(r.deadline_ms) }));
  }

  /**
   * Decides the deadlines in `items` that passed by `now`. A monitor counts only while its
   * deadline is still the one given (a ping moved it: nothing to decide) and at or before now.
   * Returns the ids whose decision this call won; each won monitor is woken for its next deadline.
   */
  async markDownIfLate(items: readonly DueDeadline[], now: Date = this.deps.clock.now()): Promise<Set<string>> {
    const won = await this.decide(items, now);
    for (const d of won.values()) this.transitions.wake(d);
    return new Set(won.keys());
  }

  /**
   * `markDownIfLate` without the wake, for the timer, which queues the next deadlines itself:
   * the decisions this call won, by monitor id, each with the monitor's next deadline (a policy
   * that counts missed periods keeps one while down; otherwise null).
   */
  async decide(items: readonly DueDeadline[], now: Date = this.deps.clock.now()): Promise<Map<string, WonDeadline>> {
    const won = new Map<string, WonDeadline>();
    const wanted = new Map(items.filter((i) => i.deadline <= now).map((i) => [i.monitorId, i.deadline]));
    if (wanted.size === 0) return won;
    const rows = await monitorsByIds(this.deps.db, [...wanted.keys()]);
    const candidates = rows.filter((m) => m.nextDeadlineAt && m.nextDeadlineAt.getTime() === wanted.get(m.id)!.getTime());
    if (candidates.length === 0) return won;
    const planned = await this.transitions.plan(
      candidates.map((m) => ({ monitor: m, change: { event: { type: 'late', at: now }, lateDeadline: m.nextDeadlineAt! } })),
    );
    const ids = await this.transitions.write(planned);
    planned.forEach((p, i) => {
      if (!ids.has(p.write.id)) return;
      won.set(p.write.id, { shard: candidates[i].shard, nextDeadlineAt: p.write.nextDeadlineAt });
      // Its alert rows were written with the decision: their shards' owners deliver them now.
      this.transitions.wakeAlerts(p.write);
    });
    return won;
  }

  /** One monitor's deadline; true when this call decided it. */
  async markOneDownIfLate(monitorId: string, expectedDeadline: Date, now?: Date): Promise<boolean> {
    return (await this.markDownIfLate([{ monitorId, deadline: expectedDeadline }], now)).has(monitorId);
  }
}
