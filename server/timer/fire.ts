import { attemptResult, skippedResult } from '../core/jobs/attempts.js';
import type { CallOutcome, OutboundCall } from '../executor/index.js';
import type { AttemptResult, ClaimedJob } from '../store/job-transitions.js';
import type { CancelNotices, ChangeLog } from './changes.js';
import type { TimerMetrics } from './metrics.js';
import type { ExecutionWriter } from './executions.js';
import type { LeaseManager } from './leases.js';
import { errorInfo, type TimerLogger } from './options.js';
import type { Owned, OwnedItems } from './owned.js';
import type { SecretCache } from './secrets.js';
import type { UnfinishedRuns } from './unfinished-runs.js';

/**
 * The fire path: armed attempts go out at their due moment, and their results go to the writer.
 *
 * Work due within `claimAheadMs` is claimed in the database before its time and marked dispatched
 * `dispatchMarkMs` before it (or by the claim itself when it is already that close), so at the due
 * moment only a timer fires the HTTP call: lateness depends on the event loop, not on a database
 * round trip. Only marked attempts are sent (the cancel invariant: server/store/job-transitions.ts).
 *
 * Right before a call the lease is checked locally (held, same epoch, local deadline not
 * passed): a stale lease defers the call until the next renewal; a lost one drops it (the new
 * owner re-runs it).
 */

/** A claimed job attempt, ready to fire at `dueMs`. */
export type FireItem = ClaimedJob;

/** What the timer needs of the executor (an `HttpExecutor` fits). */
export interface CallExecutor {
  execute(call: OutboundCall): Promise<CallOutcome>;
  /** One-time set-up moved to start-up (see HttpExecutor.warmUp). */
  warmUp?(): Promise<void>;
}

export interface FirePathDeps {
  owned: OwnedItems;
  leases: LeaseManager;
  secrets: SecretCache;
  executor: CallExecutor;
  writer: ExecutionWriter;
  runs: UnfinishedRuns;
  cancels: CancelNotices;
  changes: ChangeLog;
  metrics: TimerMetrics;
  logger: TimerLogger;
  now(): number;
  random(): number;
  /** An attempt's retry is due at `dueMs` (within the horizon, its shard still claimed here). */
  retry(item: FireItem, dueMs: number): void;
  /** Results were queued: a flush must follow. */
  flush(): void;
}

/** The outbound call of an attempt, signed with the project's secrets; `webhook-id` = job id. */
export function buildCall(item: FireItem, secrets: string[]): OutboundCall {
  const call = item.call;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.headers)) {
    if (!k.toLowerCase().startsWith('x-tock-')) headers[k] = String(v);
  }
  headers['x-tock-job-id'] = item.jobId;
  headers['x-tock-attempt'] = String(item.attempt);
  headers['x-tock-scheduled-at'] = new Date(item.scheduledAtMs).toISOString();
  if (item.scheduleId) headers['x-tock-schedule-id'] = item.scheduleId;
  return {
    url: call.url,
    method: call.method,
    headers,
    body: call.body,
    timeoutMs: call.timeoutMs,
    expectedStatus: call.expectedStatus,
    signing: { id: item.jobId, secrets },
  };
}

function failedOutcome(err: unknown): CallOutcome {
  return {
    outcome: 'failed',
    statusCode: null,
    durationMs: 0,
    responseBody: null,
    error: errorInfo(err).err,
    retryAfterMs: null,
    startedAt: new Date(),
    finishedAt: new Date(),
  };
}

export class FirePath {
  /** Due time -> the fire timer of the items armed for it (running nodes only). */
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private live = false;

  constructor(private readonly deps: FirePathDeps) {}

  /** Calls and secret loads under way. */
  get inFlight(): number {
    return this.inflight.size;
  }

  /** From now on each armed due time gets a fire timer (a node driven by hand fires with `fireDue`). */
  start(): void {
    this.live = true;
  }

  /** OwnedItems hook: the first item due at `dueMs` was armed. */
  armedAt(dueMs: number): void {
    if (!this.live) return;
    const t = setTimeout(() => {
      this.timers.delete(dueMs);
      this.fireBatch(dueMs);
    }, Math.max(0, dueMs - this.deps.now()));
    t.unref();
    this.timers.set(dueMs, t);
  }

  /** Fires armed work due at or before `nowMs`; returns how many attempts were due. */
  fireDue(nowMs: number): number {
    let n = 0;
    for (let due = this.deps.owned.nextArmedDue(); due !== null && due <= nowMs; due = this.deps.owned.nextArmedDue()) n += this.fireBatch(due);
    return n;
  }

  /** Fires the deferred attempts again (after a lease step). */
  retryDeferred(): void {
    for (const o of this.deps.owned.takeDeferred()) if (this.deps.owned.is(o, 'deferred')) this.fireOne(o);
  }

  /** Drops an owned attempt that will not be sent (cancelled, refused at its mark). */
  drop(o: Owned): void {
    if (this.deps.owned.get(o.item.jobId) !== o) return;
    this.deps.owned.release(o);
    this.deps.changes.note('job', o.item.jobId);
  }

  /** Stopping: what is armed from now on gets no fire timer (it is handed back). */
  stopArming(): void {
    this.live = false;
  }

  /** Stops firing: no fire timer is left (what is armed is handed back by the caller). */
  stop(): void {
    this.live = false;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves when no call is in flight and every result is written. */
  async idle(): Promise<void> {
    const writer = this.deps.writer;
    for (;;) {
      if (this.inflight.size > 0) {
        await Promise.allSettled([...this.inflight]);
        continue;
      }
      if (writer.pending > 0) {
        await writer.flush();
        continue;
      }
      // Let write callbacks (queue pushes, owned release) run.
      await new Promise((r) => setImmediate(r));
      if (this.inflight.size === 0 && writer.pending === 0) return;
    }
  }

  /** Waits for the calls in flight, at most `ms`. */
  async settle(ms: number): Promise<void> {
    if (this.inflight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  private fireBatch(dueMs: number): number {
    const group = this.deps.owned.takeArmed(dueMs);
    const t = this.timers.get(dueMs);
    if (t) {
      clearTimeout(t);
      this.timers.delete(dueMs);
    }
    if (!group) return 0;
    let n = 0;
    for (const o of group) {
      if (!this.deps.owned.is(o, 'armed')) continue;
      n++;
      this.fireOne(o);
    }
    return n;
  }

  private fireOne(o: Owned): void {
    const { owned, metrics } = this.deps;
    const item = o.item;
    if (this.deps.cancels.has(item.jobId)) {
      // Cannot happen while the cancel protocol holds (the mark won, so no cancel did); never
      // send a job this node was told is cancelled anyway.
      this.drop(o);
      metrics.cancelledTold.inc();
      return;
    }
    const validity = this.deps.leases.validity(item.shard, item.epoch);
    if (validity === 'lost') {
      owned.release(o);
      metrics.dropped.inc();
      return;
    }
    if (validity === 'stale') {
      // Not renewed in time (paused process, database trouble): wait for the next renewal.
      owned.move(o, 'deferred');
      return;
    }
    if (item.overlap === 'forbid' && item.scheduleId && item.source === 'schedule' && item.attempt === 1) {
      if (this.deps.runs.holdsBack(item.scheduleId, item.jobId, item.scheduledAtMs)) {
        metrics.skipped.inc();
        this.submit(o, skippedResult(item, this.deps.now()));
        return;
      }
    }
    const secrets = this.deps.secrets.peek(item.projectId);
    owned.move(o, 'inflight');
    if (secrets === undefined) {
      const p = this.deps.secrets
        .get(item.projectId)
        .then((s) => this.launch(o, s))
        .catch((err) => {
          // Database trouble: try again after the next lease step.
          this.deps.logger.warn(errorInfo(err), 'timer: loading signing secrets failed');
          if (owned.is(o, 'inflight')) owned.move(o, 'deferred');
        });
      this.track(p);
      return;
    }
    this.launch(o, secrets);
  }

  private launch(o: Owned, secrets: string[] | null): void {
    const { owned, metrics } = this.deps;
    const item = o.item;
    if (!owned.is(o, 'inflight')) return;
    if (secrets === null) {
      this.deps.logger.warn({ job: item.jobId, project: item.projectId }, 'timer: project gone; job dropped');
      owned.release(o);
      metrics.dropped.inc();
      return;
    }
    if (item.scheduleId && item.source !== 'api') this.deps.runs.add(item.scheduleId, item.shard, item.jobId, item.scheduledAtMs);
    metrics.firedLate(Date.now() - item.dueMs);
    const p = this.deps.executor
      .execute(buildCall(item, secrets))
      .catch(failedOutcome)
      .then((outcome) => {
        const rec = attemptResult(item, outcome, this.deps.now(), this.deps.random);
        if (rec.jobStatus === 'succeeded') metrics.succeeded.inc();
        else if (rec.jobStatus === 'failed') metrics.failed.inc();
        else metrics.retried.inc();
        this.submit(o, rec);
      });
    this.track(p);
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private submit(o: Owned, rec: AttemptResult): void {
    rec.webhook = o.item.call.webhookUrl !== null;
    if (this.deps.owned.get(o.item.jobId) === o) this.deps.owned.move(o, 'writing');
    void this.deps.writer.add(rec).then((updated) => this.written(o, rec, updated));
    this.deps.flush();
  }

  private written(o: Owned, rec: AttemptResult, updated: boolean): void {
    const { item } = o;
    this.deps.owned.release(o);
    this.deps.changes.note('job', item.jobId);
    if (item.scheduleId && (rec.jobStatus !== 'scheduled' || !updated)) this.deps.runs.end(item.jobId);
    if (!updated) {
      this.deps.logger.warn({ job: item.jobId, shard: item.shard, epoch: item.epoch }, 'timer: result recorded, job re-claimed by another node');
    } else if (rec.jobStatus === 'scheduled' && rec.nextAttemptAt && this.deps.leases.claims(item.shard)) {
      this.deps.retry(item, rec.nextAttemptAt.getTime());
    }
  }
}
