import type { Misfire } from '../core/types.js';
import type { Database } from '../store/database.js';
import { MinHeap } from './heap.js';
import { iso, pgArray } from '../store/sql/values.js';
import { LOAD_DUE_JOBS_SQL } from './sql/load-due-jobs.js';
import { LOAD_DUE_SCHEDULES_SQL } from './sql/load-due-schedules.js';

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

function sameEntry(a: DueEntry, b: DueEntry): boolean {
  if (a.dueMs !== b.dueMs || a.shard !== b.shard) return false;
  if (a.kind === 'job' && b.kind === 'job') return a.status === b.status;
  if (a.kind === 'schedule' && b.kind === 'schedule') {
    return (
      a.expectedEpoch === b.expectedEpoch &&
      a.cron === b.cron &&
      a.timezone === b.timezone &&
      a.intervalSeconds === b.intervalSeconds &&
      a.misfire === b.misfire
    );
  }
  return false;
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

  /**
   * `push`, unless the queue already holds this exact entry (same due time, same state): a full
   * refill finds mostly what the queue already has, and re-pushing it would only grow the heap
   * with entries to skip. Returns whether it pushed.
   */
  pushIfChanged(entry: DueEntry): boolean {
    const live = this.live.get(key(entry.kind, entry.id));
    if (live !== undefined && sameEntry(live, entry)) return false;
    this.push(entry);
    return true;
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
  next_run_s: string;
  cron: string | null;
  timezone: string;
  interval_seconds: number | null;
  misfire: Misfire;
}

/**
 * Active schedules due before `untilMs` on `shards` (hot query; `schedules_due_idx` on
 * `(shard, next_run_at) where state = 'active'`).
 */
export async function loadDueSchedules(db: Database, shards: number[], untilMs: number, limit: number, fromMs: number | null = null): Promise<ScheduleDue[]> {
  if (shards.length === 0) return [];
  const rows = await db.query<ScheduleRow>(
    LOAD_DUE_SCHEDULES_SQL,
    [pgArray(shards), iso(untilMs), limit, fromMs === null ? '-infinity' : iso(fromMs)],
    'tock_due_schedules',
  );
  return rows.map((r) => ({
    kind: 'schedule',
    id: r.id,
    shard: Number(r.shard),
    dueMs: Number(r.due_ms),
    expectedEpoch: r.next_run_s,
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
 * `(shard, next_attempt_at) where status in ('scheduled', 'running')`, one ordered index scan per
 * shard): those waiting for their (next) attempt, and those `running` under an older epoch than
 * this node's lease: claimed by a node that died or lost the shard (they run again:
 * at-least-once). Jobs running under this node's own epoch are its own claims and are left out,
 * so a backlog larger than `limit` is read page after page instead of finding the same claimed
 * rows again; `includeOwn` puts them back in for the one case where this node may have claimed a
 * job without knowing (a claim statement whose answer was lost). The caller skips the ones it
 * is running itself and any claimed under an epoch newer than its own. `fromMs` starts the page
 * at a due time (the next page of a backlog; rows due exactly then are read again).
 */
export async function loadDueJobs(
  db: Database,
  shards: Array<{ shard: number; epoch: number }>,
  untilMs: number,
  limit: number,
  includeOwn = false,
  fromMs: number | null = null,
): Promise<JobRow[]> {
  if (shards.length === 0) return [];
  const rows = await db.query<JobRow>(
    LOAD_DUE_JOBS_SQL,
    [pgArray(shards.map((s) => s.shard)), pgArray(shards.map((s) => s.epoch)), iso(untilMs), includeOwn, limit, fromMs === null ? '-infinity' : iso(fromMs)],
    'tock_due_jobs',
  );
  return rows.map((r) => ({ ...r, shard: Number(r.shard), due_ms: Number(r.due_ms) }));
}
