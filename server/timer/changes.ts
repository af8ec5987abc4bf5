import type { DueKind } from './due-queue.js';

/**
 * What this node changed about a row, in order, and what it is claiming right now.
 *
 * Invariant: a refill only queues a row if nothing this node did to it (a claim, a result, a
 * drop, a cancel it was told of) happened after the refill started, so a slow refill cannot put
 * back a state this node already moved past. A claim statement in flight compares against the
 * same log (see UnfinishedRuns.reconcile), so the log keeps what either may still read.
 */
export class ChangeLog {
  private seq = 0;
  private readonly last = new Map<string, number>();
  private readonly inClaim = new Set<string>();
  /** `seq` when the claim statement in flight was sent, or null. */
  private claimFrom: number | null = null;

  /** A point in the log: changes noted after it are newer. */
  point(): number {
    return ++this.seq;
  }

  note(kind: DueKind, id: string): void {
    this.last.set(`${kind}:${id}`, ++this.seq);
  }

  /** Whether this node changed `(kind, id)` after `point`. */
  changedSince(kind: DueKind, id: string, point: number): boolean {
    return (this.last.get(`${kind}:${id}`) ?? 0) > point;
  }

  /** A claim statement is sent: returns its point (changes after it are newer than what it reads). */
  claimSent(): number {
    this.claimFrom = this.seq;
    return this.seq;
  }

  claimAnswered(): void {
    this.claimFrom = null;
  }

  /** `(kind, id)` is in a claim statement (refills leave it alone). */
  claiming(kind: DueKind, id: string): void {
    this.inClaim.add(`${kind}:${id}`);
  }

  /** The claim of `(kind, id)` was answered: a change of the row, and no longer being claimed. */
  answered(kind: DueKind, id: string): void {
    const k = `${kind}:${id}`;
    this.inClaim.delete(k);
    this.last.set(k, ++this.seq);
  }

  /** The claim of `(kind, id)` was given up unanswered; false if it was not being claimed. */
  unclaimed(kind: DueKind, id: string): boolean {
    return this.inClaim.delete(`${kind}:${id}`);
  }

  /** Whether a refill that started at `point` must leave `(kind, id)` alone: being claimed, or changed since. */
  heldBack(kind: DueKind, id: string, point: number): boolean {
    const k = `${kind}:${id}`;
    return this.inClaim.has(k) || (this.last.get(k) ?? 0) > point;
  }

  /**
   * Forgets changes older than what anyone may still compare against: refills run one at a
   * time, so none still running started before `refillPoint`, and a claim in flight keeps its own.
   */
  prune(refillPoint: number): void {
    const keepFrom = Math.min(refillPoint, this.claimFrom ?? Infinity);
    for (const [k, s] of this.last) if (s < keepFrom) this.last.delete(k);
  }
}

/**
 * Jobs this node was told were cancelled in the database (in process, or by a `cancel` NOTIFY),
 * with when it was told. Being told is an optimisation: the dispatch mark alone keeps a cancelled
 * job from being sent; the ids are checked again at the mark and right before the call.
 */
export class CancelNotices {
  private readonly told = new Map<string, number>();

  add(jobId: string, atMs: number): void {
    this.told.set(jobId, atMs);
  }

  has(jobId: string): boolean {
    return this.told.has(jobId);
  }

  /** Forgets notices older than `beforeMs` (anything they name is long decided in the database). */
  prune(beforeMs: number): void {
    for (const [id, at] of this.told) if (at < beforeMs) this.told.delete(id);
  }
}
