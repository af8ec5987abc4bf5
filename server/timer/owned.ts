import type { FireItem } from './fire.js';
import { MinHeap } from './heap.js';

/**
 * The attempts this node owns, from their claim until their result is written, each in one
 * state:
 *
 *   claimed ──▶ marking ──▶ armed ──▶ inflight ──▶ writing
 *      ▲           │          │ ▲        │
 *      └───────────┘          ▼ │        │
 *   (mark not answered)    deferred ◀────┘ (secrets not loaded)
 *
 * - claimed: claimed in the database, not marked dispatched: a cancel can still win.
 * - marking: its dispatch mark is in flight; the answer arms it or drops it.
 * - armed: marked dispatched (by the mark, or by the claim itself: it starts here); it fires
 *   at its due time.
 * - deferred: marked and due, held back by a stale lease or a failed secrets load; fired again
 *   after the next lease step.
 * - inflight: the call is out (or its project's signing secrets are loading).
 * - writing: its result is queued for the writer (a skipped tick comes here without a call).
 *
 * An item leaves (`release`) from any state: written, dropped unsent (cancelled, refused at its
 * mark, its shard lost, its project gone) or handed back at shutdown. Any other move throws:
 * it would be a bug in the timer.
 *
 * Each state the timer acts on by time has an index: `claimed` items by due time (the mark
 * step takes them), `armed` items by due time (their fire timer takes them), `deferred` ones in
 * a list. Indexes are not cleaned when an item moves on or leaves: whoever takes an entry checks
 * it is still current (`is`).
 */
export type OwnedState = 'claimed' | 'marking' | 'armed' | 'deferred' | 'inflight' | 'writing';

const MOVES: { readonly [S in OwnedState]: ReadonlySet<OwnedState> } = {
  claimed: new Set(['marking']),
  marking: new Set(['armed', 'claimed']),
  armed: new Set(['inflight', 'deferred', 'writing']),
  deferred: new Set(['inflight', 'writing', 'deferred']),
  inflight: new Set(['deferred', 'writing']),
  writing: new Set(),
};

/** States in which nothing of the attempt has gone out: it can be dropped or handed back. */
const UNSENT: ReadonlySet<OwnedState> = new Set(['claimed', 'marking', 'armed', 'deferred']);

export interface Owned {
  readonly item: FireItem;
  state: OwnedState;
}

export interface OwnedHooks {
  /** The first item due at `dueMs` was armed (the running node sets its fire timer). */
  armed(dueMs: number): void;
  /** An item left. */
  released(o: Owned): void;
}

/** Items grouped by due time, the due times in a heap (lazily cleaned). */
class DueGroups {
  private readonly groups = new Map<number, Owned[]>();
  private readonly due = new MinHeap<number>((a, b) => a < b);

  /** Returns true when this is the first item due at `dueMs`. */
  add(dueMs: number, o: Owned): boolean {
    const group = this.groups.get(dueMs);
    if (group) {
      group.push(o);
      return false;
    }
    this.groups.set(dueMs, [o]);
    this.due.push(dueMs);
    return true;
  }

  take(dueMs: number): Owned[] | undefined {
    const group = this.groups.get(dueMs);
    this.groups.delete(dueMs);
    return group;
  }

  /** The earliest due time with a group, or undefined. */
  peek(): number | undefined {
    let head = this.due.peek();
    while (head !== undefined && !this.groups.has(head)) {
      this.due.pop();
      head = this.due.peek();
    }
    return head;
  }

  clear(): void {
    this.groups.clear();
    this.due.clear();
  }
}

export class OwnedItems {
  private readonly items = new Map<string, Owned>();
  private readonly perShard = new Map<number, number>();
  private readonly claimedAt = new DueGroups();
  private readonly armedAt = new DueGroups();
  private deferred: Owned[] = [];

  constructor(private readonly hooks: OwnedHooks) {}

  get size(): number {
    return this.items.size;
  }

  get(jobId: string): Owned | undefined {
    return this.items.get(jobId);
  }

  /** Whether `o` is still owned and in `state` (index entries may be stale). */
  is(o: Owned, state: OwnedState): boolean {
    return o.state === state && this.items.get(o.item.jobId) === o;
  }

  /** Nothing owned on `shard`: a draining lease can go. */
  quiet(shard: number): boolean {
    return !this.perShard.has(shard);
  }

  /** How many items are in each state. */
  counts(): Record<OwnedState, number> {
    const c: Record<OwnedState, number> = { claimed: 0, marking: 0, armed: 0, deferred: 0, inflight: 0, writing: 0 };
    for (const o of this.items.values()) c[o.state]++;
    return c;
  }

  /** A claimed item enters: `claimed`, or `armed` when its claim marked it dispatched already. */
  own(item: FireItem, state: 'claimed' | 'armed'): Owned {
    if (this.items.has(item.jobId)) throw new Error(`timer: job ${item.jobId} is owned already`);
    const o: Owned = { item, state };
    this.items.set(item.jobId, o);
    this.perShard.set(item.shard, (this.perShard.get(item.shard) ?? 0) + 1);
    this.index(o);
    return o;
  }

  move(o: Owned, to: OwnedState): void {
    if (!MOVES[o.state].has(to)) throw new Error(`timer: job ${o.item.jobId} cannot go from ${o.state} to ${to}`);
    o.state = to;
    this.index(o);
  }

  release(o: Owned): void {
    if (this.items.get(o.item.jobId) !== o) return;
    this.items.delete(o.item.jobId);
    const n = (this.perShard.get(o.item.shard) ?? 1) - 1;
    if (n <= 0) this.perShard.delete(o.item.shard);
    else this.perShard.set(o.item.shard, n);
    this.hooks.released(o);
  }

  /** Due time of the earliest `claimed` group, or null. */
  nextClaimedDue(): number | null {
    return this.claimedAt.peek() ?? null;
  }

  /** The `claimed` items due by `untilMs`, earliest first, moved to `marking`. */
  markable(untilMs: number): Owned[] {
    const out: Owned[] = [];
    for (;;) {
      const due = this.claimedAt.peek();
      if (due === undefined || due > untilMs) break;
      for (const o of this.claimedAt.take(due)!) {
        if (!this.is(o, 'claimed')) continue;
        this.move(o, 'marking');
        out.push(o);
      }
    }
    return out;
  }

  /** Due time of the earliest `armed` group, or null. */
  nextArmedDue(): number | null {
    return this.armedAt.peek() ?? null;
  }

  /** The group of items armed for `dueMs` (stale entries included: check with `is`). */
  takeArmed(dueMs: number): Owned[] | undefined {
    return this.armedAt.take(dueMs);
  }

  /** The deferred items (stale entries included). */
  takeDeferred(): Owned[] {
    const out = this.deferred;
    this.deferred = [];
    return out;
  }

  /** Owned items with nothing sent, on `shards` (all shards when omitted). */
  unsent(shards?: ReadonlySet<number>): Owned[] {
    const out: Owned[] = [];
    for (const o of this.items.values()) if (UNSENT.has(o.state) && (!shards || shards.has(o.item.shard))) out.push(o);
    return out;
  }

  /** Forgets the time indexes (shutdown: nothing more is marked or fired). */
  clearIndexes(): void {
    this.claimedAt.clear();
    this.armedAt.clear();
    this.deferred = [];
  }

  private index(o: Owned): void {
    if (o.state === 'claimed') this.claimedAt.add(o.item.dueMs, o);
    else if (o.state === 'armed') {
      if (this.armedAt.add(o.item.dueMs, o)) this.hooks.armed(o.item.dueMs);
    } else if (o.state === 'deferred') this.deferred.push(o);
  }
}
