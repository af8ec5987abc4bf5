import { MinHeap } from './heap.js';
import type { DueEntry, DueKind } from './sources/source.js';

export type { DueEntry, DueKind } from './sources/source.js';
export type { JobDue } from './sources/jobs.js';
export type { ScheduleDue } from './sources/schedules.js';

/**
 * A due queue: a min-heap of what is due within the horizon on the shards this node leases,
 * refilled by the sources' loads and pushed to directly by wakes, claims (a schedule's next
 * occurrence) and retries.
 *
 * One live entry per `(kind, id)`: pushing an id again replaces its entry (the old one stays in
 * the heap and is skipped when popped), so a refill that finds a row the queue already holds
 * just refreshes it.
 */

function earlier(a: DueEntry, b: DueEntry): boolean {
  if (a.dueMs !== b.dueMs) return a.dueMs < b.dueMs;
  if (a.kind !== b.kind) return a.kind < b.kind;
  return a.id < b.id;
}

export class DueQueue<E extends DueEntry = DueEntry> {
  private readonly heap = new MinHeap<E>(earlier);
  /** Kind -> id -> the live entry. */
  private readonly live = new Map<DueKind, Map<string, E>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(kind: DueKind, id: string): boolean {
    return this.live.get(kind)?.has(id) ?? false;
  }

  get(kind: DueKind, id: string): E | undefined {
    return this.live.get(kind)?.get(id);
  }

  /** Adds or replaces the entry of `(kind, id)`. */
  push(entry: E): void {
    let ids = this.live.get(entry.kind);
    if (!ids) this.live.set(entry.kind, (ids = new Map()));
    const before = ids.size;
    ids.set(entry.id, entry);
    this.count += ids.size - before;
    this.heap.push(entry);
  }

  /**
   * `push`, unless the queue already holds the same entry (`same`: same due time, same state): a
   * full refill finds mostly what the queue already has, and re-pushing it would only grow the
   * heap with entries to skip. Returns whether it pushed.
   */
  pushIfChanged(entry: E, same: (live: E, entry: E) => boolean): boolean {
    const live = this.get(entry.kind, entry.id);
    if (live !== undefined && same(live, entry)) return false;
    this.push(entry);
    return true;
  }

  remove(kind: DueKind, id: string): void {
    if (this.live.get(kind)?.delete(id)) this.count--;
  }

  /** Due time of the earliest live entry, or null. */
  peekDueMs(): number | null {
    this.dropStaleHead();
    return this.heap.peek()?.dueMs ?? null;
  }

  /** Removes and returns the earliest live entry. */
  pop(): E | undefined {
    this.dropStaleHead();
    const head = this.heap.pop();
    if (head) this.remove(head.kind, head.id);
    return head;
  }

  /** Removes and returns the live entries due at or before `untilMs`, earliest first. */
  popUntil(untilMs: number, max = Infinity): E[] {
    const out: E[] = [];
    while (out.length < max) {
      this.dropStaleHead();
      const head = this.heap.peek();
      if (!head || head.dueMs > untilMs) break;
      this.heap.pop();
      this.remove(head.kind, head.id);
      out.push(head);
    }
    return out;
  }

  /** Forgets everything on these shards (lost or released). */
  dropShards(shards: Iterable<number>): void {
    const set = new Set(shards);
    if (set.size === 0) return;
    for (const ids of this.live.values()) {
      for (const [id, e] of ids) {
        if (!set.has(e.shard)) continue;
        ids.delete(id);
        this.count--;
      }
    }
    if (this.count === 0) this.heap.clear();
  }

  clear(): void {
    this.live.clear();
    this.count = 0;
    this.heap.clear();
  }

  private dropStaleHead(): void {
    for (;;) {
      const head = this.heap.peek();
      if (!head || this.get(head.kind, head.id) === head) return;
      this.heap.pop();
    }
  }
}

/**
 * One due queue per kind of due work, each claimed `leadMs` before its entries are due: an
 * entry's claim moment is `dueMs - leadMs`, and the kinds are merged by it.
 */
export class DueQueues {
  private readonly queues = new Map<DueKind, { queue: DueQueue; leadMs: number }>();

  constructor(kinds: ReadonlyArray<{ kind: DueKind; leadMs: number }>) {
    for (const k of kinds) this.queues.set(k.kind, { queue: new DueQueue(), leadMs: k.leadMs });
  }

  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.queue.size;
    return n;
  }

  /** Whether some source queues `kind`. */
  handles(kind: string): kind is DueKind {
    return this.queues.has(kind as DueKind);
  }

  has(kind: DueKind, id: string): boolean {
    return this.of(kind).has(kind, id);
  }

  push(entry: DueEntry): void {
    this.of(entry.kind).push(entry);
  }

  pushIfChanged(entry: DueEntry, same: (live: DueEntry, entry: DueEntry) => boolean): boolean {
    return this.of(entry.kind).pushIfChanged(entry, same);
  }

  remove(kind: DueKind, id: string): void {
    this.of(kind).remove(kind, id);
  }

  /** The earliest claim moment of any entry, or null. */
  nextClaimAt(): number | null {
    let at: number | null = null;
    for (const q of this.queues.values()) {
      const due = q.queue.peekDueMs();
      if (due !== null && (at === null || due - q.leadMs < at)) at = due - q.leadMs;
    }
    return at;
  }

  /** Removes and returns the entries whose claim moment is at or before `untilMs`, earliest first, at most `max`. */
  popClaimable(untilMs: number, max: number): DueEntry[] {
    let out: DueEntry[] = [];
    if (this.queues.size === 1) {
      const [q] = this.queues.values();
      return q.queue.popUntil(untilMs + q.leadMs, max);
    }
    while (out.length < max) {
      let best: { queue: DueQueue; leadMs: number } | null = null;
      let bestAt = Infinity;
      for (const q of this.queues.values()) {
        const due = q.queue.peekDueMs();
        if (due !== null && due - q.leadMs < bestAt) {
          best = q;
          bestAt = due - q.leadMs;
        }
      }
      if (!best || bestAt > untilMs) break;
      // Pop a run from the best queue, up to the next claim moment of another kind.
      let bound = untilMs;
      for (const q of this.queues.values()) {
        if (q === best) continue;
        const due = q.queue.peekDueMs();
        if (due !== null && due - q.leadMs < bound) bound = due - q.leadMs;
      }
      const run = best.queue.popUntil(bound + best.leadMs, max - out.length);
      if (run.length === 0) break;
      if (out.length === 0) out = run;
      else for (const e of run) out.push(e);
    }
    return out;
  }

  dropShards(shards: Iterable<number>): void {
    const set = new Set(shards);
    for (const q of this.queues.values()) q.queue.dropShards(set);
  }

  clear(): void {
    for (const q of this.queues.values()) q.queue.clear();
  }

  private of(kind: DueKind): DueQueue {
    const q = this.queues.get(kind);
    if (!q) throw new Error(`timer: no due queue for ${kind}`);
    return q.queue;
  }
}
