import { performance } from 'node:perf_hooks';
import type { CancelNotices, ChangeLog } from './changes.js';
import { MARK_BATCH_MS } from './dispatch-mark.js';
import type { DueQueues } from './due-queue.js';
import type { TimerMetrics } from './metrics.js';
import type { FireItem } from './fire.js';
import { errorInfo, type TimerLogger, type TimerOptions } from './options.js';
import type { OwnedItems } from './owned.js';
import type { Ownership } from './ownership.js';
import type { SecretCache } from './secrets.js';
import type { DueEntry, DueKind, DueSource, Fenced, SourceClaim } from './sources/source.js';
import type { UnfinishedRuns } from './unfinished-runs.js';

export interface ClaimStepResult {
  /** Entries claimed (a schedule, a job). */
  claimed: number;
  /** Attempts claimed (schedule ticks and other jobs). */
  jobs: number;
  /** Claims that found the row changed by someone else (not errors). */
  lostRaces: number;
}

export interface ClaimDeps {
  nodeId: string;
  options: TimerOptions;
  sources: readonly DueSource[];
  queues: DueQueues;
  ownership: Ownership;
  owned: OwnedItems;
  changes: ChangeLog;
  cancels: CancelNotices;
  runs: UnfinishedRuns;
  secrets: SecretCache;
  metrics: TimerMetrics;
  logger: TimerLogger;
  now(): number;
  /** Claimed attempts enter the owned-item state machine. */
  hold(items: FireItem[]): void;
  /** Shards to read again now. */
  reload(shards: number[]): void;
  /** A claim statement was sent and not answered: this node may hold claims it does not know of. */
  unanswered(): void;
}

/**
 * The claim step: claims, per source and in batches of `claimBatchRows`, every queued entry
 * whose claim moment (`dueMs - leadMs`) falls by `now + claimBatchMs`, so entries a few hundred
 * ms apart share one statement. A node holds at most `maxOwned` attempts: past it, due entries
 * stay queued (and unclaimed in the database) until results drain.
 */
export class Claimer {
  /** The last step left claimable entries queued because this node holds `maxOwned` already. */
  throttled = false;
  private readonly sourceOf = new Map<DueKind, DueSource>();

  constructor(private readonly deps: ClaimDeps) {
    for (const s of deps.sources) this.sourceOf.set(s.kind, s);
  }

  /** When the next claim is due (null: nothing queued, or throttled until results drain). */
  nextAt(): number | null {
    return this.throttled ? null : this.deps.queues.nextClaimAt();
  }

  /** Work due at or before this is marked dispatched when claimed (it would be marked at once). */
  markBefore(): number {
    return this.deps.now() + this.deps.options.dispatchMarkMs + MARK_BATCH_MS;
  }

  async step(nowMs: number): Promise<ClaimStepResult> {
    const { options, queues, ownership, owned, changes, metrics } = this.deps;
    const result: ClaimStepResult = { claimed: 0, jobs: 0, lostRaces: 0 };
    const t0 = performance.now();
    const until = nowMs + options.claimBatchMs;
    const room = options.maxOwned - owned.size;
    const entries = room > 0 ? queues.popClaimable(until, room) : [];
    // Holding all it may: what is due stays queued until results drain (node.ts, `released`).
    const head = queues.nextClaimAt();
    this.throttled = head !== null && head <= until;
    const batches = new Map<DueKind, Array<Fenced<DueEntry>>>();
    for (const e of entries) {
      const epoch = ownership.epochOf(e.shard);
      if (epoch === undefined || !ownership.claims(e.shard)) continue;
      const source = this.sourceOf.get(e.kind)!;
      if (!source.admit(e as never)) continue;
      let batch = batches.get(e.kind);
      if (!batch) batches.set(e.kind, (batch = []));
      batch.push({ entry: e, epoch });
      changes.claiming(e.kind, e.id);
    }
    try {
      for (const source of this.deps.sources) {
        const fenced = batches.get(source.kind);
        if (!fenced) continue;
        for (let i = 0; i < fenced.length; i += options.claimBatchRows) {
          const got = await this.claimBatch(source, fenced.slice(i, i + options.claimBatchRows), nowMs);
          result.claimed += got.claimed;
          result.lostRaces += got.lost;
          result.jobs += got.items.length;
          metrics.claimedOf(source.kind, got.items.length);
          await this.warmSecrets(got.items);
          this.deps.hold(got.items);
          if (got.reload) {
            const now = ownership.lostRace(got.reload);
            if (now.length > 0) this.deps.reload(now);
          }
        }
      }
    } catch (err) {
      // Put back what was not answered; if a statement did commit, its jobs are found again by
      // the next full refill (running under our epoch, not owned: `unanswered`) and its
      // schedules lose the retried race harmlessly.
      this.deps.unanswered();
      for (const fenced of batches.values()) {
        for (const { entry } of fenced) if (changes.unclaimed(entry.kind, entry.id) && ownership.claims(entry.shard)) queues.push(entry);
      }
      throw err;
    } finally {
      if (result.lostRaces > 0) metrics.lostRaces.inc(result.lostRaces);
    }
    if (entries.length > 0) {
      this.deps.logger.debug({ node: this.deps.nodeId, popped: entries.length, ...result, ms: Math.round(performance.now() - t0) }, 'timer: claim step');
    }
    return result;
  }

  /** One statement; reconciles the unfinished runs it read and queues what it made due next. */
  private async claimBatch(source: DueSource, batch: Array<Fenced<DueEntry>>, nowMs: number): Promise<SourceClaim> {
    const { changes, ownership, queues } = this.deps;
    const point = changes.claimSent();
    let got: SourceClaim;
    try {
      got = await source.claim(batch as never, { nowMs, markBeforeMs: this.markBefore() });
    } finally {
      changes.claimAnswered();
    }
    if (got.unfinished.size > 0) {
      this.deps.runs.reconcile(got.unfinished, got.completeRuns, {
        claims: (shard) => ownership.claims(shard),
        unchanged: (jobId) => !changes.changedSince('job', jobId, point),
        toldCancelled: (jobId) => this.deps.cancels.has(jobId),
        owns: (jobId) => this.deps.owned.get(jobId) !== undefined,
      });
    }
    for (const { entry } of batch) changes.answered(entry.kind, entry.id);
    const horizon = nowMs + this.deps.options.horizonMs;
    for (const e of got.next) if (e.dueMs < horizon && ownership.claims(e.shard)) queues.push(e);
    return got;
  }

  /**
   * Loads the signing secrets of claimed items' projects not cached yet, before they are held:
   * items the claim already marked fire at once, and each fire that finds no secrets waits.
   */
  private async warmSecrets(items: FireItem[]): Promise<void> {
    let missing: Set<string> | null = null;
    for (const it of items) {
      if (this.deps.secrets.peek(it.projectId) === undefined) (missing ??= new Set()).add(it.projectId);
    }
    if (missing) await this.deps.secrets.prefetch(missing).catch((err) => this.deps.logger.warn(errorInfo(err), 'timer: secret prefetch failed'));
  }
}
