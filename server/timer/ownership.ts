import type { LeaseChange, LeaseManager, LeaseValidity } from './leases.js';
import type { TimerLogger } from './options.js';

/** What the node does when shards change hands. */
export interface OwnershipListener {
  /** Shards to read (again): acquired, no longer draining, or renewed after a claim lost on a lapsed lease. */
  gained(shards: number[]): void;
  /** Shards that are not this node's any more: taken over by another node, or released after draining. */
  lost(shards: number[]): void;
  /** This node gave leases up: another node may take them at once. */
  released(shards: number[]): void;
}

/**
 * Which shards this node owns, and the one place where a lease step turns into shards gained
 * and lost (leases.ts holds the leases and their invariants). A node claims only on shards it
 * `claims` (held, not draining) and fires only under a `valid` lease of the claim's epoch.
 */
export class Ownership {
  /** Shards whose claims lost on a lapsed lease: read again once the next lease step renewed it. */
  private readonly afterRenewal = new Set<number>();

  constructor(
    readonly leases: LeaseManager,
    private readonly nodeId: string,
    private readonly logger: TimerLogger,
    private readonly listener: OwnershipListener,
  ) {}

  /** Whether this node may claim on `shard` now (held, not draining). */
  claims(shard: number): boolean {
    return this.leases.claims(shard);
  }

  /** Whether this node holds `shard` (draining or not). */
  holds(shard: number): boolean {
    return this.leases.held.has(shard);
  }

  draining(shard: number): boolean {
    return this.leases.draining.has(shard);
  }

  epochOf(shard: number): number | undefined {
    return this.leases.epochOf(shard);
  }

  validity(shard: number, epoch: number): LeaseValidity {
    return this.leases.validity(shard, epoch);
  }

  /** Shards this node claims on, with its epoch on each. */
  claimedShards(only?: readonly number[]): Array<{ shard: number; epoch: number }> {
    const out: Array<{ shard: number; epoch: number }> = [];
    for (const shard of only ?? this.leases.activeShards()) {
      if (!this.leases.claims(shard)) continue;
      out.push({ shard, epoch: this.leases.epochOf(shard)! });
    }
    return out;
  }

  get heldCount(): number {
    return this.leases.held.size;
  }

  get drainingCount(): number {
    return this.leases.draining.size;
  }

  /**
   * A claim lost on `shard`: read it again now if the lease is locally valid (someone else moved
   * a row: a real race). If it is not, the fence failed because our lease lapsed in the database;
   * reading at once would only lose again in a tight loop, so it waits for the next lease step.
   */
  lostRace(shards: Iterable<number>): number[] {
    const now: number[] = [];
    for (const shard of shards) {
      const epoch = this.leases.epochOf(shard);
      if (epoch !== undefined && this.leases.validity(shard, epoch) === 'valid') now.push(shard);
      else this.afterRenewal.add(shard);
    }
    return now;
  }

  /** One lease step (leases.ts), told to the listener as shards lost, released and gained. */
  async step(isQuiet: (shard: number) => boolean): Promise<LeaseChange> {
    const change = await this.leases.step(isQuiet);
    if (change.lost.length > 0) {
      this.logger.warn({ node: this.nodeId, shards: change.lost }, 'timer: leases lost to another node');
      this.listener.lost(change.lost);
    }
    if (change.released.length > 0) {
      this.listener.lost(change.released);
      this.logger.info({ node: this.nodeId, shards: change.released.length }, 'timer: drained leases released');
      this.listener.released(change.released);
    }
    const gained = [...change.acquired.map((a) => a.shard), ...change.undrained, ...this.afterRenewal];
    this.afterRenewal.clear();
    if (gained.length > 0) this.listener.gained(gained);
    if (change.acquired.length > 0 || change.lost.length > 0 || change.draining.length > 0) {
      this.logger.info(
        {
          node: this.nodeId,
          live: change.liveNodes,
          share: change.share,
          held: change.held,
          acquired: change.acquired.length,
          lost: change.lost.length,
          draining: change.draining.length,
        },
        'timer: leases changed',
      );
    }
    return change;
  }

  /** Gives up every lease (shutdown); returns the shards released. */
  releaseAll(): Promise<number[]> {
    return this.leases.releaseAll();
  }
}
