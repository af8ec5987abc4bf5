import { performance } from 'node:perf_hooks';
import type { ChangeLog } from './changes.js';
import type { DueQueues } from './due-queue.js';
import type { TimerLogger, TimerOptions } from './options.js';
import type { Ownership } from './ownership.js';
import type { DueEntry, DueKind, DueSource } from './sources/source.js';

/** A refill hands the event loop back after this many rows. */
const REFILL_YIELD_ROWS = 500;

export interface RefillDeps {
  nodeId: string;
  options: TimerOptions;
  sources: readonly DueSource[];
  queues: DueQueues;
  ownership: Ownership;
  changes: ChangeLog;
  logger: TimerLogger;
  now(): number;
  /** A refill was requested: the refill loop should step. */
  requested(): void;
  /** Entries were queued: the next claim may be due sooner. */
  queued(): void;
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Keeps the due queues filled with what is due within the horizon on the shards this node claims
 * on: pages of each source's `load`. Requests (a whole refill, the next page of a backlog, some
 * shards) accumulate and are served one refill at a time by the refill loop.
 */
export class Refiller {
  private all = false;
  private nextPage = false;
  private readonly shards = new Set<number>();
  /** When the periodic full refill is due (set by each full refill; none before the first). */
  private nextFullAt = Infinity;
  /** The last refill found a full page: the next ones continue as claims drain the queue. */
  private truncated = false;
  /** Where the next page of a truncated full refill starts, per kind (due ms); null = complete. */
  private readonly cursor = new Map<DueKind, number | null>();
  /** A claim statement's answer was lost, or a dispatch mark refused: the next full refill reads this node's own claims too. */
  private readOwn = false;

  constructor(private readonly deps: RefillDeps) {
    for (const s of deps.sources) this.cursor.set(s.kind, null);
  }

  /** `next`: the next page of a backlog (see `step`); a full refill pending covers it. */
  request(what: readonly number[] | 'all' | 'next'): void {
    if (what === 'all') this.all = true;
    else if (what === 'next') this.nextPage = true;
    else for (const s of what) this.shards.add(s);
    this.deps.requested();
  }

  /** This node may hold claims it does not know of (see DuePage.includeOwn). */
  ownClaimsUnknown(): void {
    this.readOwn = true;
  }

  /** When the refill loop steps by itself: the periodic full refill. */
  nextAt(): number | null {
    return Number.isFinite(this.nextFullAt) ? this.nextFullAt : null;
  }

  /** After claims went in: a backlog larger than one refill reads its next page once the queue has drained to half a page. */
  afterClaims(): void {
    if (this.truncated && this.deps.queues.size < this.deps.options.refillLimit / 2) this.request('next');
  }

  /** The refill loop's step: serves one pending request (the periodic full refill when it is due). */
  async stepRequested(): Promise<boolean> {
    if (this.deps.now() >= this.nextFullAt) this.all = true;
    if (!this.pending) return false;
    const all = this.all;
    const next = !all && this.nextPage;
    // A full refill covers the shards and the next page; the next page goes before the shards.
    const shards = all ? [...this.shards] : next ? [] : [...this.shards];
    if (all || next) this.nextPage = false;
    this.all = false;
    if (all || !next) this.shards.clear();
    if (all) this.nextFullAt = this.deps.now() + this.deps.options.refillIntervalMs;
    try {
      await this.step(all || next ? undefined : shards, { next });
    } catch (err) {
      if (all) this.all = true;
      if (next) this.nextPage = true;
      for (const s of shards) this.shards.add(s);
      throw err;
    }
    return this.pending;
  }

  private get pending(): boolean {
    return this.all || this.nextPage || this.shards.size > 0;
  }

  /**
   * Loads what is due within the horizon on `shards` (default: every shard this node claims
   * on) into the queues. Returns the number of entries pushed.
   *
   * `next`: the next page of a backlog larger than one refill: only the kinds whose last full
   * page was truncated, from the due time that page ended at (rows due exactly then are read
   * again; the queue keeps one entry per row). Everything before that point is queued or claimed
   * already; whatever changes there is woken per shard, and the periodic full refill reads from
   * the start again.
   */
  async step(shards?: number[], opts: { next?: boolean } = {}): Promise<number> {
    const { ownership, changes, options, queues, sources } = this.deps;
    const target = ownership.claimedShards(shards);
    if (target.length === 0) return 0;
    const point = changes.point();
    const t0 = performance.now();
    const untilMs = this.deps.now() + options.horizonMs;
    const limit = options.refillLimit;
    const whole = shards === undefined;
    const next = whole && opts.next === true && [...this.cursor.values()].some((c) => c !== null);
    const includeOwn = whole && !next && this.readOwn;
    if (includeOwn) this.readOwn = false;
    let pages: DueEntry[][];
    try {
      pages = await Promise.all(
        sources.map((s) => {
          const from = this.cursor.get(s.kind)!;
          if (next && from === null) return [];
          return s.load({ shards: target, untilMs, limit, fromMs: next ? from : null, includeOwn });
        }),
      );
    } catch (err) {
      if (includeOwn) this.readOwn = true;
      throw err;
    }
    // A page was full: more is due than one refill holds. Read on as the claims drain the queue.
    const truncated = pages.some((p) => p.length >= limit);
    if (whole) {
      sources.forEach((s, i) => {
        if (next && this.cursor.get(s.kind) === null) return;
        const page = pages[i];
        this.cursor.set(s.kind, page.length >= limit ? page[page.length - 1].dueMs : null);
      });
      this.truncated = [...this.cursor.values()].some((c) => c !== null);
    } else if (truncated) {
      this.truncated = true;
    }
    let pushed = 0;
    let seen = 0;
    let rows = 0;
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i];
      const same = source.same.bind(source) as (a: DueEntry, b: DueEntry) => boolean;
      rows += pages[i].length;
      for (const e of pages[i]) {
        // A full page is thousands of rows: let due fires run in between (state is checked per row).
        if (++seen % REFILL_YIELD_ROWS === 0) await yieldToLoop();
        if (!ownership.claims(e.shard) || changes.heldBack(e.kind, e.id, point)) continue;
        if (!source.admit(e as never)) continue;
        if (queues.pushIfChanged(e, same)) pushed++;
      }
    }
    this.deps.logger.debug({ node: this.deps.nodeId, rows, pushed, truncated, next, ms: Math.round(performance.now() - t0) }, 'timer: refill step');
    changes.prune(point);
    this.deps.queued();
    return pushed;
  }
}
