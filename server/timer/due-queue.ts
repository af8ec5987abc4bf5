import type { Misfire } from '../core/types.js';
import type { Database } from '../store/database.js';
import { MinHeap } from './heap.js';
import { iso, ms, pgArray } from './sql.js';

/**
 * The per-node due queue: a min-heap of what is due within the horizon on the shards this node
 * leases, refilled by indexed queries per owned shards and pushed to directly by wakes, claims
 * (a schedule's next occurrence) and retries.
 *
 * One live entry per `(kind, id)`: pushing an id again replaces its entry (the old one stays in
 * the heap and is skipped when popped), so a refill that finds a schedule the queue already holds
 * just refreshes it.
 */

export type DueKind = 'schedule' | 'job';

export interface ScheduleDue {
  kind: 'schedule';
  id: string;
  shard: number;
  dueMs: number;
  /** `extract(epoch from next_run_at)` exactly, for the claim's `next_run_at = expected` check. */
  expectedEpoch: string;
  cron: string | null;
  timezone: string;
  intervalSeconds: number | null;
  misfire: Misfire;
}

export interface JobDue {
  kind: 'job';
  id: string;
  shard: number;
  dueMs: number;
  /** Status when loaded; the claim is conditional on it. `running` = recovery of an older claim. */
  status: 'scheduled' | 'running';
}

export type DueEntry = ScheduleDue | JobDue;

const key = (kind: DueKind, id: string) => `${kind}:${id}`;

function earlier(a: DueEntry, b: DueEntry): boolean {
  if (a.dueMs !== b.dueMs) return a.dueMs < b.dueMs;
  if (a.kind !== b.kind) return a.kind < b.kind;
  return a.id < b.id;
}

export class DueQueue {
  private readonly heap = new MinHeap<DueEntry>(earlier);
  private readonly live = new Map<string, DueEntry>();

  get size(): number {
    return this.live.size;
  }

  has(kind: DueKind, id: string): boolean {
    return this.live.has(key(kind, id));
  }

  get(kind: DueKind, id: string): DueEntry | undefined {
    return this.live.get(key(kind, id));
  }

  /** Adds or replaces the entry of `(kind, id)`. */
  push(entry: DueEntry): void {
    this.live.set(key(entry.kind, entry.id), entry);
    this.heap.push(entry);
  }

  remove(kind: DueKind, id: string): void {
    this.live.delete(key(kind, id));
  }

  /** Due time of the earliest live entry, or null. */
  peekDueMs(): number | null {
    this.dropStaleHead();
    return this.heap.peek()?.dueMs ?? null;
  }

  /** Removes and returns the live entries due at or before `untilMs`, earliest first. */
  popUntil(untilMs: number, max = Infinity): DueEntry[] {
    const out: DueEntry[] = [];
    while (out.length < max) {
      this.dropStaleHead();
      const head = this.heap.peek();
      if (!head || head.dueMs > untilMs) break;
      this.heap.pop();
      this.live.delete(key(head.kind, head.id));
      out.push(head);
    }
    return out;
  }

  /** Forgets everything on these shards (lost or released). */
  dropShards(shards: Iterable<number>): void {
    const set = new Set(shards);
    if (set.size === 0) return;
    for (const [k, e] of this.live) if (set.has(e.shard)) this.live.delete(k);
    if (this.live.size === 0) this.heap.clear();
  }

  clear(): void {
    this.live.clear();
    this.heap.clear();
  }

  private dropStaleHead(): void {
    for (;;) {
      const head = this.heap.peek();
      if (!head || this.live.get(key(head.kind, head.id)) === head) return;
      this.heap.pop();
    }
  }
}

export interface ScheduleRow {
  id: string;
  shard: number;
  due_ms: number;
  next_epoch: string;
  cron: string | null;
  timezone: string;
  interval_seconds: number | null;
  misfire: Misfire;
}

/**
 * Active schedules due before `untilMs` on `shards` (hot query; `schedules_due_idx` on
 * `(shard, next_run_at) where state = 'active'`).
 */
export async function loadDueSchedules(db: Database, shards: number[], untilMs: number, limit: number): Promise<ScheduleDue[]> {
  if (shards.length === 0) return [];
  const rows = await db.execute<ScheduleRow>(
    `select id, shard, ${ms('next_run_at')} as due_ms, extract(epoch from next_run_at)::text as next_epoch,
            cron, timezone, interval_seconds, misfire
       from schedules
      where shard = any(?::int[]) and state = 'active' and next_run_at < ?::timestamptz
      order by next_run_at
      limit ?`,
    [pgArray(shards), iso(untilMs), limit],
  );
  return rows.map((r) => ({
    kind: 'schedule',
    id: r.id,
    shard: Number(r.shard),
    dueMs: Number(r.due_ms),
    expectedEpoch: r.next_epoch,
    cron: r.cron,
    timezone: r.timezone,
    intervalSeconds: r.interval_seconds === null ? null : Number(r.interval_seconds),
    misfire: r.misfire,
  }));
}

export interface JobRow {
  id: string;
  shard: number;
  due_ms: number;
  status: 'scheduled' | 'running';
  lease_epoch: string | null;
}

/**
 * Jobs due before `untilMs` on the given shards (hot query; `jobs_due_idx` on
 * `(shard, next_attempt_at) where status in ('scheduled', 'running')`): those waiting for their
 * (next) attempt, and those `running`: claimed by a node that died or lost the shard (they run
 * again: at-least-once) or by this node in a claim whose answer never arrived. The caller skips
 * the ones it is running itself and any claimed under an epoch newer than its own.
 */
export async function loadDueJobs(db: Database, shards: number[], untilMs: number, limit: number): Promise<JobRow[]> {
  if (shards.length === 0) return [];
  const rows = await db.execute<JobRow>(
    `select id, shard, ${ms('next_attempt_at')} as due_ms, status, lease_epoch::text as lease_epoch
       from jobs
      where shard = any(?::int[]) and status in ('scheduled', 'running') and next_attempt_at < ?::timestamptz
      order by next_attempt_at
      limit ?`,
    [pgArray(shards), iso(untilMs), limit],
  );
  return rows.map((r) => ({ ...r, shard: Number(r.shard), due_ms: Number(r.due_ms) }));
}
