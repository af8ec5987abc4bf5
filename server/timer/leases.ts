import { performance } from 'node:perf_hooks';
import { SHARD_COUNT } from '../core/shard.js';
import type { Database } from '../store/database.js';
import { pgArray } from '../store/sql/values.js';
import { ACQUIRE_LEASES_SQL } from './sql/acquire-leases.js';
import { DELETE_NODE_SQL } from './sql/delete-node.js';
import { HEARTBEAT_NODE_SQL } from './sql/heartbeat-node.js';
import { PRUNE_NODES_SQL } from './sql/prune-nodes.js';
import { RELEASE_ALL_LEASES_SQL } from './sql/release-all-leases.js';
import { RELEASE_LEASES_SQL } from './sql/release-leases.js';
import { RENEW_LEASES_SQL } from './sql/renew-leases.js';

/**
 * Shard leases: the unit of work ownership between scheduler nodes.
 *
 * Invariants
 * - All lease time is the database's `now()`: node clocks never decide who owns a shard.
 * - Every takeover (`owner` changes to a node) bumps `epoch`. A node remembers `shard -> epoch`
 *   and every statement that claims work checks, in the same statement, that the lease row still
 *   has `owner = me AND epoch = mine AND expires_at > now()` (the fence). A node whose lease was
 *   taken over therefore cannot claim anything on that shard, however late its statements land.
 * - A node also keeps a local, conservative deadline per lease, measured on its monotonic clock
 *   from the moment it *sent* the renewing statement: `sent + ttl - margin`. The database expiry
 *   is at least `sent + ttl`, so while the local deadline holds nobody else can own the shard.
 *   The fire path checks it right before an HTTP call, so a node that was paused (GC, SIGSTOP)
 *   past its TTL does not fire on resume what its successor is about to fire.
 * - Fair share = ceil(SHARD_COUNT / live nodes), live = heartbeat within the TTL. A node acquires
 *   free or expired leases up to its share and drains the excess: it stops claiming on those
 *   shards, lets what it already claimed fire, and releases them once quiet, so a handover never
 *   runs a claimed tick twice.
 */

export function fairShare(liveNodes: number, shardCount: number = SHARD_COUNT): number {
  return Math.ceil(shardCount / Math.max(1, liveNodes));
}

/**
 * How to move from `heldActive` leases (not draining) and `draining` ones to `share`:
 * stop draining first (cheapest), then acquire; or drain the excess.
 */
export function planRebalance(
  heldActive: number,
  draining: number,
  share: number,
): { drain: number; undrain: number; acquire: number } {
  if (heldActive > share) return { drain: heldActive - share, undrain: 0, acquire: 0 };
  const deficit = share - heldActive;
  const undrain = Math.min(deficit, draining);
  return { drain: 0, undrain, acquire: deficit - undrain };
}

export interface HeldLease {
  epoch: number;
  /** Monotonic (performance.now) deadline until which this node may fire on the shard. */
  validUntil: number;
}

export interface LeaseChange {
  liveNodes: number;
  share: number;
  /** Leases held after the step (draining included). */
  held: number;
  acquired: Array<{ shard: number; epoch: number }>;
  /** Of `acquired`, shards whose lease another node held and let expire (a takeover). */
  takenOver: number[];
  /** Held before, not ours any more (taken over after we failed to renew in time). */
  lost: number[];
  /** Released after draining. */
  released: number[];
  /** Newly marked draining. */
  draining: number[];
  /** Shards no longer draining (the share grew back). */
  undrained: number[];
  /**
   * Milliseconds (database time) until the earliest lease of another node expires, or null.
   * If that node is dead, its shards are free right then: the running loop steps again at that
   * moment rather than up to TTL/3 later, so a takeover takes ~TTL, not TTL + TTL/3.
   */
  nextForeignExpiryMs: number | null;
  changed: boolean;
}

export type LeaseValidity = 'valid' | 'stale' | 'lost';

export interface LeaseManagerOptions {
  ttlMs: number;
  hostname: string;
  pid: number;
  /** Monotonic ms; default performance.now. */
  monotonic?: () => number;
}

export class LeaseManager {
  readonly held = new Map<number, HeldLease>();
  readonly draining = new Set<number>();
  /** Live scheduler nodes (this one included) as the last lease step counted them; 1 before the first. */
  liveNodes = 1;
  private readonly monotonic: () => number;
  private readonly marginMs: number;
  private steps = 0;

  constructor(
    private readonly db: Database,
    readonly nodeId: string,
    private readonly opts: LeaseManagerOptions,
  ) {
    this.monotonic = opts.monotonic ?? (() => performance.now());
    this.marginMs = Math.floor(opts.ttlMs / 5);
  }

  /** Shards this node holds and claims on (not draining). */
  activeShards(): number[] {
    const out: number[] = [];
    for (const s of this.held.keys()) if (!this.draining.has(s)) out.push(s);
    return out.sort((a, b) => a - b);
  }

  epochOf(shard: number): number | undefined {
    return this.held.get(shard)?.epoch;
  }

  /** Whether this node may claim on `shard` now (held, not draining). */
  claims(shard: number): boolean {
    return this.held.has(shard) && !this.draining.has(shard);
  }

  /** Held leases whose local deadline has not passed: the shards this node may fire on now. */
  validCount(): number {
    const now = this.monotonic();
    let n = 0;
    for (const h of this.held.values()) if (now < h.validUntil) n++;
    return n;
  }

  validity(shard: number, epoch: number): LeaseValidity {
    const h = this.held.get(shard);
    if (!h || h.epoch !== epoch) return 'lost';
    return this.monotonic() < h.validUntil ? 'valid' : 'stale';
  }

  /**
   * One lease loop step: heartbeat, count live nodes, renew ours, release drained shards that
   * are quiet, then drain the excess or acquire up to the fair share.
   */
  async step(isQuiet: (shard: number) => boolean = () => true): Promise<LeaseChange> {
    const ttl = this.opts.ttlMs;
    const change: LeaseChange = {
      liveNodes: 1,
      share: SHARD_COUNT,
      held: 0,
      acquired: [],
      takenOver: [],
      lost: [],
      released: [],
      draining: [],
      undrained: [],
      nextForeignExpiryMs: null,
      changed: false,
    };

    const [hb] = await this.db.execute<{ live: number; next_expiry_ms: number | null }>(HEARTBEAT_NODE_SQL, [
      this.nodeId,
      this.opts.hostname,
      this.opts.pid,
      this.nodeId,
      ttl,
      this.nodeId,
    ]);
    change.liveNodes = Number(hb.live);
    this.liveNodes = change.liveNodes;
    change.nextForeignExpiryMs = hb.next_expiry_ms === null ? null : Number(hb.next_expiry_ms);
    change.share = fairShare(change.liveNodes);
    if (++this.steps % 20 === 1) {
      // Rows of nodes long gone; a paused node re-registers through the upsert above.
      await this.db.execute(PRUNE_NODES_SQL, [Math.max(60_000, ttl * 10)]);
    }

    let sent = this.monotonic();
    const renewed = await this.db.execute<{ shard: number; epoch: string }>(RENEW_LEASES_SQL, [ttl, this.nodeId]);
    const seen = new Set<number>();
    for (const r of renewed) {
      const shard = Number(r.shard);
      const epoch = Number(r.epoch);
      seen.add(shard);
      const h = this.held.get(shard);
      if (h && h.epoch === epoch) {
        h.validUntil = sent + ttl - this.marginMs;
      } else {
        // Acquired by a step whose answer we never saw, or a stale local epoch: fresh either way.
        if (h) change.lost.push(shard);
        this.held.set(shard, { epoch, validUntil: sent + ttl - this.marginMs });
        change.acquired.push({ shard, epoch });
      }
    }
    for (const shard of [...this.held.keys()]) {
      if (!seen.has(shard)) {
        this.held.delete(shard);
        this.draining.delete(shard);
        change.lost.push(shard);
      }
    }

    // Release drained shards once nothing claimed on them is pending.
    const quiet = [...this.draining].filter((s) => isQuiet(s));
    if (quiet.length > 0) change.released = await this.release(quiet);

    const plan = planRebalance(this.held.size - this.draining.size, this.draining.size, change.share);
    if (plan.drain > 0) {
      const active = this.activeShards();
      for (const s of active.slice(active.length - plan.drain)) {
        this.draining.add(s);
        change.draining.push(s);
      }
    }
    if (plan.undrain > 0) {
      for (const s of [...this.draining].slice(0, plan.undrain)) {
        this.draining.delete(s);
        change.undrained.push(s);
      }
    }
    if (plan.acquire > 0) {
      sent = this.monotonic();
      const got = await this.db.execute<{ shard: number; epoch: string; previous_owner: string | null }>(ACQUIRE_LEASES_SQL, [
        this.nodeId,
        ttl,
        plan.acquire,
      ]);
      for (const r of got) {
        const shard = Number(r.shard);
        const epoch = Number(r.epoch);
        this.held.set(shard, { epoch, validUntil: sent + ttl - this.marginMs });
        change.acquired.push({ shard, epoch });
        if (r.previous_owner !== null && r.previous_owner !== this.nodeId) change.takenOver.push(shard);
      }
    }
    change.held = this.held.size;
    change.changed =
      change.acquired.length + change.lost.length + change.released.length + change.draining.length + change.undrained.length > 0;
    return change;
  }

  /** Gives up leases (owner and expiry cleared) so another node can take them at once. */
  async release(shards: number[]): Promise<number[]> {
    if (shards.length === 0) return [];
    const rows = await this.db.execute<{ shard: number }>(RELEASE_LEASES_SQL, [this.nodeId, pgArray(shards)]);
    for (const s of shards) {
      this.held.delete(s);
      this.draining.delete(s);
    }
    return rows.map((r) => Number(r.shard));
  }

  /** Releases every lease of this node and removes its node row (shutdown). */
  async releaseAll(): Promise<number[]> {
    const rows = await this.db.execute<{ shard: number }>(RELEASE_ALL_LEASES_SQL, [this.nodeId]);
    this.held.clear();
    this.draining.clear();
    await this.db.execute(DELETE_NODE_SQL, [this.nodeId]);
    return rows.map((r) => Number(r.shard));
  }
}
