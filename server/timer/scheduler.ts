import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { CancelKind, Waker, WakeKind } from '../core/wake.js';
import type { CallOutcome, OutboundCall } from '../executor/index.js';
import type { Database } from '../store/database.js';
import { DueQueue, loadDueJobs, loadDueSchedules, type DueEntry, type JobDue, type ScheduleDue } from './due-queue.js';
import { ExecutionWriter, type AttemptRecord } from './executions.js';
import { MinHeap } from './heap.js';
import {
  attemptRecord,
  BUSY_LIMIT,
  buildCall,
  claimJobs,
  claimSchedules,
  epochText,
  markDispatched,
  skippedRecord,
  unclaimJobs,
  type FireItem,
  type ScheduleClaim,
  type ScheduleRuns,
} from './fire.js';
import { LeaseManager, type LeaseChange } from './leases.js';
import { planTicks } from './misfire.js';
import { errorInfo, resolveOptions, type TimerLogger, type TimerOptions } from './options.js';
import { SecretCache } from './secrets.js';
import { formatCancel, formatWake, notifyWake, WakeListener, type WakeMessage } from './wake.js';

/** What the timer needs of the executor (an `HttpExecutor` fits). */
export interface CallExecutor {
  execute(call: OutboundCall): Promise<CallOutcome>;
  /** One-time set-up moved to start-up (see HttpExecutor.warmUp). */
  warmUp?(): Promise<void>;
}

export interface SchedulerDeps {
  db: Database;
  /** PostgreSQL URL for the LISTEN connection; null = embedded database: in-process wakes only. */
  databaseUrl: string | null;
  executor: CallExecutor;
  clock?: Clock;
  logger: TimerLogger;
  options?: Partial<TimerOptions>;
  /** Jitter source (tests pin it). */
  random?: () => number;
}

export interface ClaimStepResult {
  /** Schedules whose next run this node moved. */
  schedules: number;
  /** Jobs claimed (schedule ticks and other jobs). */
  jobs: number;
  /** Claims that found the row changed by someone else (not errors). */
  lostRaces: number;
}

export interface SchedulerStats {
  nodeId: string;
  running: boolean;
  stopping: boolean;
  shards: { held: number; draining: number };
  /** Live scheduler nodes, this one included, as the last lease step counted them. */
  liveNodes: number;
  queued: number;
  /** Claimed, waiting for their dispatch mark (cancellable). */
  claimed: number;
  /** Marked dispatched, waiting for their due moment. */
  armed: number;
  deferred: number;
  inFlight: number;
  pendingWrites: number;
  claimedTicks: number;
  claimedJobs: number;
  lostRaces: number;
  fired: number;
  succeeded: number;
  failed: number;
  retries: number;
  skipped: number;
  /** Claimed jobs dropped unsent because they were cancelled (told by the core / refused at the mark). */
  cancelled: { told: number; refusedAtMark: number };
  misfires: { fireOnce: number; skip: number };
  dropped: number;
  errors: number;
  /** Fire lateness (actual dispatch - due time) over the last 10 000 fires, in ms. */
  lateness: { count: number; p50: number; p99: number; max: number };
}

/**
 * - `claimed`: claimed in the database, not marked dispatched: a cancel can still win.
 * - `marking`: its dispatch mark is in flight.
 * - `armed`: marked dispatched; its fire timer is set.
 * - `deferred`: marked, due, held back by a stale lease (or a failed secrets load).
 * - `inflight`: the call is out; `writing`: its result is queued for the writer.
 */
type OwnedState = 'claimed' | 'marking' | 'armed' | 'deferred' | 'inflight' | 'writing';

interface Owned {
  item: FireItem;
  state: OwnedState;
}

const LATENESS_WINDOW = 10_000;
/** A refill hands the event loop back after this many rows. */
const REFILL_YIELD_ROWS = 500;
/** A dispatch mark step marks what is due within `dispatchMarkMs` + this. */
const MARK_BATCH_MS = 50;

/**
 * One scheduler node. Each loop is a single step that can be called directly (tests) and that
 * the running scheduler calls on timers:
 * - `leaseStep()`: heartbeat, renew, acquire/drain/release (see leases.ts);
 * - `refillStep(shards?)`: loads what is due within the horizon on owned shards into the queue;
 * - `claimStep(now)`: claims what is due within `claimAheadMs` (state `claimed`);
 * - `markStep(now)`: marks claimed work due within `dispatchMarkMs` dispatched (one batched
 *   UPDATE) and arms its fire timers;
 * - `fireDueStep(now)`: fires armed work due at or before `now` (the running scheduler fires
 *   from one timer per due time instead, and before each claim or mark step);
 * - `flushStep()`: writes pending executions.
 *
 * Invariants (besides the lease ones in leases.ts)
 * - A job this node claimed is in `owned` from its claim until its result is written (or until
 *   it is handed back or its shard is lost before it fired). Refills skip owned jobs, so a job
 *   `running` under this node's epoch that is *not* owned is one whose claim answer was lost:
 *   it is recovered like a dead node's job.
 * - A refill only pushes a row if nothing this node did to that row (claim, result) happened
 *   after the refill started (`lastChange` sequence numbers), so a slow refill cannot put back
 *   a state this node already moved past.
 * - Before an HTTP call the fire path checks the lease locally (held, same epoch, local
 *   deadline not passed). A stale lease defers the call until the next renewal; a lost one
 *   drops it (the new owner re-runs it).
 * - Cancels: only a job whose dispatch mark committed is ever sent (or recorded as skipped),
 *   and the core's cancel commits only while the mark has not (see fire.ts), so a cancel that
 *   won is never sent. Told of a cancel (in process, or `cancel` NOTIFY), the node drops the
 *   job at once and remembers its id (`knownCancelled`), checked again at the mark and right
 *   before the call. Being told is an optimisation: the mark alone is enough.
 */
export class Scheduler implements Waker {
  readonly nodeId: string;
  readonly options: TimerOptions;
  readonly leases: LeaseManager;
  readonly queue = new DueQueue();
  readonly writer: ExecutionWriter;
  readonly secrets: SecretCache;

  private readonly db: Database;
  private readonly clock: Clock;
  private readonly logger: TimerLogger;
  private readonly executor: CallExecutor;
  private readonly random: () => number;
  private readonly pg: boolean;

  private readonly owned = new Map<string, Owned>();
  private readonly ownedPerShard = new Map<number, number>();
  /** Due time -> claimed items waiting for their dispatch mark; `claimedDue` orders the keys (lazily). */
  private readonly claimed = new Map<number, FireItem[]>();
  private readonly claimedDue = new MinHeap<number>((a, b) => a < b);
  /** Due time -> marked items waiting for their fire timer. */
  private readonly armed = new Map<number, FireItem[]>();
  private readonly fireTimers = new Map<number, NodeJS.Timeout>();
  private deferred: FireItem[] = [];
  /**
   * Schedule id -> unfinished runs, for overlap `forbid`: runs this node fired that are not
   * terminal yet (a retry pending included), plus the ones the schedule claim found unfinished
   * in the database (fired by an earlier owner of the shard). `runOf` is the reverse index.
   */
  private readonly activeRuns = new Map<string, { shard: number; jobs: Map<string, number> }>();
  private readonly runOf = new Map<string, string>();
  /** `seq` when the claim statement in flight was sent (see reconcileRuns). */
  private claimStartSeq: number | null = null;
  private readonly lastChange = new Map<string, number>();
  private readonly claiming = new Set<string>();
  /** Job id -> when this node was told it was cancelled (pruned at lease steps). */
  private readonly knownCancelled = new Map<string, number>();
  private seq = 0;
  /** The last refill found a full page: the next ones continue as claims drain the queue. */
  private refillTruncated = false;
  /** Where the next page of a truncated full refill starts, per kind (due ms); null = complete. */
  private readonly pageCursor: { jobs: number | null; schedules: number | null } = { jobs: null, schedules: null };
  /**
   * A claim statement's answer was lost, or a dispatch mark refused: the next full refill also
   * reads this node's own claims.
   */
  private recoverOwn = false;
  /** The last claim step left due work queued because this node holds `maxOwned` already. */
  private claimThrottled = false;
  /** Shards whose claims lost on a lapsed lease: refilled after the next lease step. */
  private readonly refillAfterLease = new Set<number>();
  private readonly inflight = new Set<Promise<void>>();

  private readonly latency: number[] = [];
  private latencyPos = 0;
  private readonly counters = {
    claimedTicks: 0,
    claimedJobs: 0,
    lostRaces: 0,
    fired: 0,
    succeeded: 0,
    failed: 0,
    retries: 0,
    skipped: 0,
    cancelledTold: 0,
    cancelledAtMark: 0,
    misfireFireOnce: 0,
    misfireSkip: 0,
    dropped: 0,
    errors: 0,
  };

  // Running-mode state.
  private running = false;
  private stopping: Promise<void> | null = null;
  private listener: WakeListener | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private refillTimer: NodeJS.Timeout | null = null;
  private claimTimer: NodeJS.Timeout | null = null;
  private claimTimerAt = Infinity;
  private markTimer: NodeJS.Timeout | null = null;
  private markTimerAt = Infinity;
  private markAgain = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly loops = {
    lease: null as Promise<void> | null,
    refill: null as Promise<void> | null,
    claim: null as Promise<void> | null,
    mark: null as Promise<void> | null,
    flush: null as Promise<void> | null,
  };
  private leaseAgain = false;
  private claimAgain = false;
  private refillAll = false;
  private refillNext = false;
  private readonly refillShards = new Set<number>();
  private readonly backoff = { lease: 0, refill: 0, claim: 0, mark: 0, flush: 0 };

  constructor(deps: SchedulerDeps) {
    this.db = deps.db;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger;
    this.executor = deps.executor;
    this.random = deps.random ?? Math.random;
    this.options = resolveOptions(deps.options);
    this.nodeId = this.options.nodeId ?? newId('node');
    this.pg = deps.databaseUrl !== null;
    this.leases = new LeaseManager(this.db, this.nodeId, { ttlMs: this.options.leaseTtlMs, hostname: hostname(), pid: process.pid });
    this.writer = new ExecutionWriter(this.db, this.logger, this.options.flushMaxRows);
    this.secrets = new SecretCache(this.db, this.options.secretTtlMs);
    if (deps.databaseUrl) {
      this.listener = new WakeListener(
        deps.databaseUrl,
        this.logger,
        (m) => this.onBusMessage(m),
        () => {
          this.requestRefill('all');
          this.requestLeaseStep();
        },
      );
    }
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  // ---------------------------------------------------------------------------------------------
  // Waker

  /**
   * The core's wake-up: something on `shard` is due at `dueAt`. In process, a shard this node
   * claims on is refilled right away; otherwise (PostgreSQL) the owner is told by NOTIFY.
   * Things due beyond the horizon need nothing: the periodic refill finds them in time.
   */
  wake(kind: WakeKind, shard: number, dueAt: Date): void {
    if (kind === 'monitor') return; // monitors are not fired by this timer
    if (dueAt.getTime() - this.now() >= this.options.horizonMs) return;
    if (this.leases.claims(shard)) {
      this.requestRefill([shard]);
    } else if (this.pg && !this.stopping) {
      notifyWake(this.db, formatWake(kind, shard, dueAt.getTime(), this.nodeId)).catch((err) =>
        this.logger.warn(errorInfo(err), 'timer: wake notify failed'),
      );
    }
  }

  /**
   * The core's cancel (job cancel, schedule pause/delete) won in the database for job `id`. If
   * this node holds it claimed, it drops it now; if another node holds the shard, NOTIFY tells it.
   */
  cancelled(kind: CancelKind, shard: number, id: string): void {
    this.dropCancelled(id);
    if (!this.leases.held.has(shard) && this.pg && !this.stopping) {
      notifyWake(this.db, formatCancel(kind, shard, id, this.nodeId)).catch((err) =>
        this.logger.warn(errorInfo(err), 'timer: cancel notify failed'),
      );
    }
  }

  private onBusMessage(m: WakeMessage): void {
    if (m.origin === this.nodeId || this.stopping) return;
    if (m.kind === 'lease') {
      this.requestLeaseStep();
      return;
    }
    if (m.kind === 'cancel') {
      if (m.id) this.dropCancelled(m.id);
      return;
    }
    if (m.kind === 'monitor') return;
    if (this.leases.claims(m.shard) && m.dueMs - this.now() < this.options.horizonMs) this.requestRefill([m.shard]);
  }

  // ---------------------------------------------------------------------------------------------
  // Steps

  /** Lease loop step; see LeaseManager.step. Applies what changed to the queue and fire path. */
  async leaseStep(): Promise<LeaseChange> {
    const change = await this.leases.step((shard) => this.isQuiet(shard));
    if (change.lost.length > 0) {
      this.logger.warn({ node: this.nodeId, shards: change.lost }, 'timer: leases lost to another node');
      this.dropShards(change.lost);
    }
    if (change.released.length > 0) {
      this.dropShards(change.released);
      this.logger.info({ node: this.nodeId, shards: change.released.length }, 'timer: drained leases released');
      if (this.pg) this.notifyLeases();
    }
    const fresh = [...change.acquired.map((a) => a.shard), ...change.undrained, ...this.refillAfterLease];
    this.refillAfterLease.clear();
    if (fresh.length > 0) this.requestRefill(fresh);
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
    // Drained shards with nothing claimed on them can go now rather than at the next step.
    if (change.draining.some((shard) => this.isQuiet(shard))) this.requestLeaseStep();
    this.retryDeferred();
    this.pruneKnownCancelled();
    return change;
  }

  /**
   * Loads what is due within the horizon on `shards` (default: every shard this node claims
   * on) into the queue. Returns the number of entries pushed.
   *
   * `next`: the next page of a backlog larger than one refill: only the kinds whose last full
   * page was truncated, from the due time that page ended at (rows due exactly then are read
   * again; the queue keeps one entry per row). Everything before that point is in the queue or
   * claimed already; whatever changes there is woken per shard, and the periodic full refill
   * reads from the start again.
   */
  async refillStep(shards?: number[], opts: { next?: boolean } = {}): Promise<number> {
    const target = (shards ?? this.leases.activeShards()).filter((s) => this.leases.claims(s));
    if (target.length === 0) return 0;
    const startSeq = ++this.seq;
    const t0 = performance.now();
    const until = this.now() + this.options.horizonMs;
    const limit = this.options.refillLimit;
    const whole = shards === undefined;
    const next = whole && opts.next === true && (this.pageCursor.jobs !== null || this.pageCursor.schedules !== null);
    const recovering = whole && !next && this.recoverOwn;
    if (recovering) this.recoverOwn = false;
    let schedules: ScheduleDue[];
    let jobs: Awaited<ReturnType<typeof loadDueJobs>>;
    try {
      [schedules, jobs] = await Promise.all([
        next && this.pageCursor.schedules === null ? [] : loadDueSchedules(this.db, target, until, limit, next ? this.pageCursor.schedules : null),
        next && this.pageCursor.jobs === null
          ? []
          : loadDueJobs(
              this.db,
              target.map((shard) => ({ shard, epoch: this.leases.epochOf(shard)! })),
              until,
              limit,
              recovering,
              next ? this.pageCursor.jobs : null,
            ),
      ]);
    } catch (err) {
      if (recovering) this.recoverOwn = true;
      throw err;
    }
    // A page was full: more is due than one refill holds. Read on as the claims drain the queue.
    const truncated = schedules.length >= limit || jobs.length >= limit;
    if (whole) {
      if (!next || this.pageCursor.schedules !== null) {
        this.pageCursor.schedules = schedules.length >= limit ? schedules[schedules.length - 1].dueMs : null;
      }
      if (!next || this.pageCursor.jobs !== null) this.pageCursor.jobs = jobs.length >= limit ? jobs[jobs.length - 1].due_ms : null;
      this.refillTruncated = this.pageCursor.schedules !== null || this.pageCursor.jobs !== null;
    } else if (truncated) {
      this.refillTruncated = true;
    }
    let pushed = 0;
    let seen = 0;
    for (const s of schedules) {
      // A full page is thousands of rows: let due fires run in between (state is checked per row).
      if (++seen % REFILL_YIELD_ROWS === 0) await yieldToLoop();
      const k = `schedule:${s.id}`;
      if (!this.leases.claims(s.shard) || this.claiming.has(k) || (this.lastChange.get(k) ?? 0) > startSeq) continue;
      if (this.queue.pushIfChanged(s)) pushed++;
    }
    for (const j of jobs) {
      if (++seen % REFILL_YIELD_ROWS === 0) await yieldToLoop();
      const k = `job:${j.id}`;
      if (this.owned.has(j.id) || this.claiming.has(k) || this.knownCancelled.has(j.id) || (this.lastChange.get(k) ?? 0) > startSeq) continue;
      const epoch = this.leases.epochOf(j.shard);
      if (epoch === undefined || this.leases.draining.has(j.shard)) continue;
      if (j.status === 'running' && j.lease_epoch !== null && Number(j.lease_epoch) > epoch) continue;
      if (this.queue.pushIfChanged({ kind: 'job', id: j.id, shard: j.shard, dueMs: j.due_ms, status: j.status })) pushed++;
    }
    this.logger.debug(
      { node: this.nodeId, rows: schedules.length + jobs.length, pushed, truncated, next, ms: Math.round(performance.now() - t0) },
      'timer: refill step',
    );
    // Refills run one at a time, so no refill still running started before these changes; a
    // claim statement in flight compares against them too (reconcileRuns).
    const keepFrom = Math.min(startSeq, this.claimStartSeq ?? Infinity);
    for (const [k, s] of this.lastChange) if (s < keepFrom) this.lastChange.delete(k);
    this.armClaimTimer();
    return pushed;
  }

  /**
   * Claims everything due by `now + claimAheadMs (+ claimBatchMs)` and arms it. Schedules get
   * their ticks planned (misfire policy included) and their next occurrence pushed back.
   */
  async claimStep(now: Date = this.clock.now()): Promise<ClaimStepResult> {
    const result: ClaimStepResult = { schedules: 0, jobs: 0, lostRaces: 0 };
    if (this.stopping) return result;
    const nowMs = now.getTime();
    const t0 = performance.now();
    let sqlMs = 0;
    const until = nowMs + this.options.claimAheadMs + this.options.claimBatchMs;
    const room = this.options.maxOwned - this.owned.size;
    const entries = room > 0 ? this.queue.popUntil(until, room) : [];
    // Holding all it may: what is due stays queued until results drain (see disown).
    const head = this.queue.peekDueMs();
    this.claimThrottled = head !== null && head <= until;
    const scheduleClaims: ScheduleClaim[] = [];
    const jobClaims: Array<{ entry: JobDue; epoch: number }> = [];
    for (const e of entries) {
      const epoch = this.leases.epochOf(e.shard);
      if (epoch === undefined || !this.leases.claims(e.shard)) continue;
      if (e.kind === 'schedule') {
        const plan = planTicks(
          { trigger: { cron: e.cron, timezone: e.timezone, intervalSeconds: e.intervalSeconds }, dueMs: e.dueMs, misfire: e.misfire },
          nowMs,
          { claimAheadMs: this.options.claimAheadMs, misfireThresholdMs: this.options.misfireThresholdMs, maxTicks: this.options.maxTicksPerClaim },
        );
        scheduleClaims.push({ entry: e, epoch, plan });
      } else {
        if (this.owned.has(e.id)) continue;
        jobClaims.push({ entry: e, epoch });
      }
      this.claiming.add(`${e.kind}:${e.id}`);
    }
    const planMs = performance.now() - t0;
    try {
      const size = this.options.claimBatchRows;
      for (let i = 0; i < scheduleClaims.length; i += size) {
        const batch = scheduleClaims.slice(i, i + size);
        const q0 = performance.now();
        const { moved, items, unfinished } = await this.claimStatement(() => claimSchedules(this.db, this.nodeId, batch, this.markBefore()), true);
        sqlMs += performance.now() - q0;
        const lostShards = new Set<number>();
        for (const c of batch) {
          const k = `schedule:${c.entry.id}`;
          this.claiming.delete(k);
          this.lastChange.set(k, ++this.seq);
          if (!moved.has(c.entry.id)) {
            result.lostRaces++;
            lostShards.add(c.entry.shard);
            continue;
          }
          result.schedules++;
          if (c.plan.misfire === 'fire_once') this.counters.misfireFireOnce++;
          if (c.plan.misfire === 'skip') this.counters.misfireSkip++;
          if (c.plan.misfire) {
            this.logger.info(
              { schedule: c.entry.id, missed: new Date(c.entry.dueMs).toISOString(), policy: c.plan.misfire },
              'timer: misfire',
            );
          }
          const next = c.plan.nextRunAtMs;
          if (next !== null && next < nowMs + this.options.horizonMs && this.leases.claims(c.entry.shard)) {
            this.queue.push({ ...c.entry, dueMs: next, expectedEpoch: epochText(next) });
          }
        }
        this.counters.claimedTicks += items.length;
        result.jobs += items.length;
        await this.warmSecrets(items);
        this.hold(items);
        if (lostShards.size > 0) this.refillLost(lostShards);
      }
      for (let i = 0; i < jobClaims.length; i += size) {
        const batch = jobClaims.slice(i, i + size);
        const q0 = performance.now();
        const { items } = await this.claimStatement(() => claimJobs(this.db, this.nodeId, batch, this.markBefore()), false);
        sqlMs += performance.now() - q0;
        const got = new Set(items.map((it) => it.jobId));
        for (const c of batch) {
          const k = `job:${c.entry.id}`;
          this.claiming.delete(k);
          this.lastChange.set(k, ++this.seq);
          if (!got.has(c.entry.id)) result.lostRaces++;
        }
        this.counters.claimedJobs += items.length;
        result.jobs += items.length;
        await this.warmSecrets(items);
        this.hold(items);
      }
    } catch (err) {
      // Put back what was not answered; if a statement did commit, its jobs are found again by
      // the next full refill (running under our epoch, not owned: `recoverOwn`) and its
      // schedules lose the retried race harmlessly.
      this.recoverOwn = true;
      for (const c of scheduleClaims) {
        if (this.claiming.delete(`schedule:${c.entry.id}`) && this.leases.claims(c.entry.shard)) this.queue.push(c.entry);
      }
      for (const c of jobClaims) {
        if (this.claiming.delete(`job:${c.entry.id}`) && this.leases.claims(c.entry.shard)) this.queue.push(c.entry);
      }
      throw err;
    } finally {
      this.counters.lostRaces += result.lostRaces;
    }
    if (entries.length > 0) {
      this.logger.debug(
        {
          node: this.nodeId,
          popped: entries.length,
          ...result,
          planMs: Math.round(planMs),
          sqlMs: Math.round(sqlMs),
          ms: Math.round(performance.now() - t0),
        },
        'timer: claim step',
      );
    }
    // A backlog larger than one refill: read the next page once these claims are in (a refill
    // started earlier would find the rows this step was still claiming).
    if (this.refillTruncated && this.queue.size < this.options.refillLimit / 2) this.requestRefill('next');
    this.armClaimTimer();
    return result;
  }

  /**
   * Shards where a claim lost: reload them now if the lease is locally valid (someone else moved
   * a row: a real race). If it is not, the fence failed because our lease lapsed in the database;
   * reloading at once would only lose again in a tight loop, so they wait for the next lease step.
   */
  private refillLost(shards: Set<number>): void {
    const now: number[] = [];
    for (const shard of shards) {
      const epoch = this.leases.epochOf(shard);
      if (epoch !== undefined && this.leases.validity(shard, epoch) === 'valid') now.push(shard);
      else this.refillAfterLease.add(shard);
    }
    if (now.length > 0) this.requestRefill(now);
  }

  /**
   * Loads the signing secrets of claimed items' projects not cached yet, before they are held:
   * items the claim already marked fire at once, and each fire that finds no secrets waits.
   */
  private async warmSecrets(items: FireItem[]): Promise<void> {
    let missing: Set<string> | null = null;
    for (const it of items) {
      if (this.secrets.peek(it.projectId) === undefined) (missing ??= new Set()).add(it.projectId);
    }
    if (missing) await this.secrets.prefetch(missing).catch((err) => this.logger.warn(errorInfo(err), 'timer: secret prefetch failed'));
  }

  /**
   * Marks claimed work due by `now + dispatchMarkMs (+ 50 ms)` dispatched and arms its fire
   * timers; what the database refuses (cancelled, re-claimed elsewhere, lease lapsed) is dropped
   * unsent. Returns the number of items the statement was asked about.
   */
  async markStep(now: Date = this.clock.now()): Promise<number> {
    const until = now.getTime() + this.options.dispatchMarkMs + MARK_BATCH_MS;
    const batch: FireItem[] = [];
    for (;;) {
      const due = this.claimedDue.peek();
      if (due === undefined || due > until) break;
      this.claimedDue.pop();
      const items = this.claimed.get(due);
      if (!items) continue;
      this.claimed.delete(due);
      for (const item of items) {
        const o = this.owned.get(item.jobId);
        if (!o || o.item !== item || o.state !== 'claimed') continue;
        if (this.knownCancelled.has(item.jobId)) {
          this.dropOwned(item.jobId);
          this.counters.cancelledTold++;
          continue;
        }
        o.state = 'marking';
        batch.push(item);
      }
    }
    const t0 = performance.now();
    const size = this.options.claimBatchRows;
    for (let i = 0; i < batch.length; i += size) {
      const part = batch.slice(i, i + size);
      let marked: Set<string>;
      try {
        marked = await markDispatched(this.db, this.nodeId, part);
      } catch (err) {
        // Not answered: back to `claimed`, marked again at the next step (the statement is
        // idempotent; a job it did mark is still `running` under our epoch).
        this.hold(batch.slice(i), true);
        throw err;
      }
      for (const item of part) {
        const o = this.owned.get(item.jobId);
        if (!o || o.item !== item || o.state !== 'marking') continue; // dropped meanwhile (shard lost)
        if (marked.has(item.jobId) && !this.knownCancelled.has(item.jobId)) {
          o.state = 'armed';
          this.armFire(item);
        } else {
          // Cancelled, or re-claimed elsewhere, or our lease had lapsed in the database. In the
          // last case the row is still `running` under our epoch (a lapsed lease that nobody
          // took is renewed with the same epoch): the next full refill must read our own claims.
          this.dropOwned(item.jobId);
          this.counters.cancelledAtMark++;
          this.recoverOwn = true;
        }
      }
    }
    if (batch.length > 0) {
      // `slackMs`: how long before the earliest of them was due the marks were answered (< 0: the
      // database was slower than dispatchMarkMs and those fires wait for it).
      this.logger.debug(
        { node: this.nodeId, asked: batch.length, ms: Math.round(performance.now() - t0), slackMs: Math.round(batch[0].dueMs - this.now()) },
        'timer: dispatch mark step',
      );
    }
    return batch.length;
  }

  /** Fires armed (marked) work due at or before `now`; returns how many items were due. */
  fireDueStep(now: Date = this.clock.now()): number {
    let n = 0;
    for (const dueMs of [...this.armed.keys()].sort((a, b) => a - b)) {
      if (dueMs > now.getTime()) break;
      n += this.armed.get(dueMs)?.length ?? 0;
      this.fireBatch(dueMs);
    }
    return n;
  }

  /** Writes pending executions; returns rows written. */
  async flushStep(): Promise<number> {
    return this.writer.flush();
  }

  /** Resolves when no call is in flight and every result is written (tests). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.inflight.size > 0) {
        await Promise.allSettled([...this.inflight]);
        continue;
      }
      if (this.writer.pending > 0) {
        await this.writer.flush();
        continue;
      }
      // Let write callbacks (queue pushes, owned release) run.
      await new Promise((r) => setImmediate(r));
      if (this.inflight.size === 0 && this.writer.pending === 0) return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Fire path

  /** Work due at or before this is marked dispatched when claimed (it would be marked at once). */
  private markBefore(): number {
    return this.now() + this.options.dispatchMarkMs + MARK_BATCH_MS;
  }

  /**
   * Claimed items wait for their dispatch mark; those the claim already marked are armed. `again`:
   * items already owned (a mark statement that failed) go back to `claimed`.
   */
  private hold(items: FireItem[], again = false): void {
    for (const item of items) {
      const o = this.owned.get(item.jobId);
      if (again) {
        if (!o || o.item !== item || o.state !== 'marking') continue;
        o.state = 'claimed';
      } else {
        if (o) continue;
        if (this.knownCancelled.has(item.jobId) && !item.dispatched) {
          // Claimed just before the cancel won; the claim's answer came after the news.
          this.counters.cancelledTold++;
          this.lastChange.set(`job:${item.jobId}`, ++this.seq);
          continue;
        }
        if (item.dispatched) {
          this.own(item, 'armed');
          this.armFire(item);
          continue;
        }
        this.own(item, 'claimed');
      }
      let group = this.claimed.get(item.dueMs);
      if (!group) {
        group = [];
        this.claimed.set(item.dueMs, group);
        this.claimedDue.push(item.dueMs);
      }
      group.push(item);
    }
    this.armMarkTimer();
  }

  /** A marked item: fire it at its due moment. */
  private armFire(item: FireItem): void {
    let group = this.armed.get(item.dueMs);
    if (!group) {
      group = [];
      this.armed.set(item.dueMs, group);
      if (this.running) this.setFireTimer(item.dueMs);
    }
    group.push(item);
  }

  private setFireTimer(dueMs: number): void {
    const delay = Math.max(0, dueMs - this.now());
    const t = setTimeout(() => {
      this.fireTimers.delete(dueMs);
      this.fireBatch(dueMs);
    }, delay);
    t.unref();
    this.fireTimers.set(dueMs, t);
  }

  private fireBatch(dueMs: number): void {
    const items = this.armed.get(dueMs);
    this.armed.delete(dueMs);
    const t = this.fireTimers.get(dueMs);
    if (t) {
      clearTimeout(t);
      this.fireTimers.delete(dueMs);
    }
    if (!items) return;
    for (const item of items) this.fireOne(item);
  }

  private fireOne(item: FireItem): void {
    const o = this.owned.get(item.jobId);
    if (!o || o.item !== item || (o.state !== 'armed' && o.state !== 'deferred')) return;
    if (this.knownCancelled.has(item.jobId)) {
      // Cannot happen while the cancel protocol holds (the mark won, so no cancel did); never
      // send a job this node was told is cancelled anyway.
      this.dropOwned(item.jobId);
      this.counters.cancelledTold++;
      return;
    }
    const validity = this.leases.validity(item.shard, item.epoch);
    if (validity === 'lost') {
      this.disown(item.jobId);
      this.counters.dropped++;
      return;
    }
    if (validity === 'stale') {
      // Not renewed in time (paused process, database trouble): wait for the next renewal.
      if (o.state !== 'deferred') {
        o.state = 'deferred';
        this.deferred.push(item);
      }
      return;
    }
    if (item.overlap === 'forbid' && item.scheduleId && item.source === 'schedule' && item.attempt === 1) {
      // Only an earlier run holds a tick back (a catch-up can claim several ticks at once).
      const active = this.activeRuns.get(item.scheduleId);
      if (active && [...active.jobs].some(([id, at]) => id !== item.jobId && at < item.scheduledAtMs)) {
        this.counters.skipped++;
        this.submit(item, skippedRecord(item, this.now()));
        return;
      }
    }
    const secrets = this.secrets.peek(item.projectId);
    if (secrets === undefined) {
      o.state = 'inflight';
      const p = this.secrets
        .get(item.projectId)
        .then((s) => {
          o.state = 'armed';
          this.launchWith(item, s);
        })
        .catch((err) => {
          // Database trouble: try again at the next lease step.
          this.logger.warn(errorInfo(err), 'timer: loading signing secrets failed');
          o.state = 'deferred';
          this.deferred.push(item);
        });
      this.track(p);
      return;
    }
    this.launchWith(item, secrets);
  }

  private launchWith(item: FireItem, secrets: string[] | null): void {
    if (secrets === null) {
      this.logger.warn({ job: item.jobId, project: item.projectId }, 'timer: project gone; job dropped');
      this.disown(item.jobId);
      this.counters.dropped++;
      return;
    }
    const o = this.owned.get(item.jobId);
    if (!o) return;
    o.state = 'inflight';
    if (item.scheduleId && item.source !== 'api') this.addRun(item.scheduleId, item.shard, item.jobId, item.scheduledAtMs);
    this.recordLateness(Date.now() - item.dueMs);
    this.counters.fired++;
    const p = this.executor
      .execute(buildCall(item, secrets))
      .catch(
        (err): CallOutcome => ({
          outcome: 'failed',
          statusCode: null,
          durationMs: 0,
          responseBody: null,
          error: errorInfo(err).err,
          retryAfterMs: null,
          startedAt: new Date(),
          finishedAt: new Date(),
        }),
      )
      .then((outcome) => {
        const rec = attemptRecord(item, outcome, this.now(), this.random);
        if (rec.jobStatus === 'succeeded') this.counters.succeeded++;
        else if (rec.jobStatus === 'failed') this.counters.failed++;
        else this.counters.retries++;
        this.submit(item, rec);
      });
    this.track(p);
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private submit(item: FireItem, rec: AttemptRecord): void {
    const o = this.owned.get(item.jobId);
    if (o) o.state = 'writing';
    void this.writer.add(rec).then((updated) => this.afterWrite(item, rec, updated));
    this.scheduleFlush();
  }

  private afterWrite(item: FireItem, rec: AttemptRecord, updated: boolean): void {
    this.disown(item.jobId);
    this.lastChange.set(`job:${item.jobId}`, ++this.seq);
    if (item.scheduleId && (rec.jobStatus !== 'scheduled' || !updated)) this.endRun(item.jobId);
    if (!updated) {
      this.logger.warn({ job: item.jobId, shard: item.shard, epoch: item.epoch }, 'timer: result recorded, job re-claimed by another node');
    } else if (rec.jobStatus === 'scheduled' && rec.nextAttemptAt && this.leases.claims(item.shard)) {
      const dueMs = rec.nextAttemptAt.getTime();
      if (dueMs - this.now() < this.options.horizonMs) {
        this.queue.push({ kind: 'job', id: item.jobId, shard: item.shard, dueMs, status: 'scheduled' });
        this.armClaimTimer();
      }
    }
    if (this.leases.draining.has(item.shard) && this.isQuiet(item.shard)) this.requestLeaseStep();
  }

  private addRun(scheduleId: string, shard: number, jobId: string, scheduledAtMs: number): void {
    let runs = this.activeRuns.get(scheduleId);
    if (!runs) {
      runs = { shard, jobs: new Map() };
      this.activeRuns.set(scheduleId, runs);
    }
    runs.jobs.set(jobId, scheduledAtMs);
    this.runOf.set(jobId, scheduleId);
  }

  private endRun(jobId: string): void {
    const scheduleId = this.runOf.get(jobId);
    if (scheduleId === undefined) return;
    this.runOf.delete(jobId);
    const runs = this.activeRuns.get(scheduleId);
    if (!runs) return;
    runs.jobs.delete(jobId);
    if (runs.jobs.size === 0) this.activeRuns.delete(scheduleId);
  }

  /**
   * Runs one claim statement and reconciles the unfinished runs it read (`complete`: the
   * schedule claim's whole list per schedule; a job claim's is only the runs before each tick).
   * `claimStartSeq` keeps the refill from pruning the `lastChange` entries the reconcile reads.
   */
  private async claimStatement<R extends { unfinished: Map<string, ScheduleRuns> }>(statement: () => Promise<R>, complete: boolean): Promise<R> {
    const startSeq = (this.claimStartSeq = this.seq);
    let result: R;
    try {
      result = await statement();
    } finally {
      this.claimStartSeq = null;
    }
    if (result.unfinished.size > 0) this.reconcileRuns(result.unfinished, startSeq, complete);
    return result;
  }

  /**
   * Brings the unfinished runs of claimed `forbid` schedules in line with what the claim read
   * in the database. That read is the truth as of the statement's snapshot; anything this node
   * changed about a job since the statement was sent (`lastChange` after `startSeq`: a result
   * written, a cancel told) is newer and wins. So a run fired by an earlier owner of the shard
   * counts until it ends here, and a run that ended where this node could not see it (a cancel
   * whose notice was lost) stops counting at the schedule's next claim.
   */
  private reconcileRuns(unfinished: Map<string, ScheduleRuns>, startSeq: number, complete: boolean): void {
    const unchanged = (jobId: string) => (this.lastChange.get(`job:${jobId}`) ?? 0) <= startSeq;
    for (const [scheduleId, { shard, runs: runsInDb }] of unfinished) {
      if (!this.leases.claims(shard)) continue;
      for (const r of runsInDb) {
        if (!this.runOf.has(r.jobId) && unchanged(r.jobId) && !this.knownCancelled.has(r.jobId)) this.addRun(scheduleId, shard, r.jobId, r.scheduledAtMs);
      }
      // Only the whole list (a schedule claim, under BUSY_LIMIT rows) can prove that a run ended.
      if (!complete || runsInDb.length >= BUSY_LIMIT) continue;
      const runs = this.activeRuns.get(scheduleId);
      if (!runs) continue;
      const inDb = new Set(runsInDb.map((r) => r.jobId));
      for (const id of [...runs.jobs.keys()]) if (!inDb.has(id) && !this.owned.has(id) && unchanged(id)) this.endRun(id);
    }
  }

  private own(item: FireItem, state: OwnedState): void {
    this.owned.set(item.jobId, { item, state });
    this.ownedPerShard.set(item.shard, (this.ownedPerShard.get(item.shard) ?? 0) + 1);
  }

  private disown(jobId: string): void {
    const o = this.owned.get(jobId);
    if (!o) return;
    this.owned.delete(jobId);
    if (this.claimThrottled && this.owned.size <= this.options.maxOwned / 2) {
      this.claimThrottled = false;
      if (this.running && !this.stopping) setImmediate(() => this.runClaim());
    }
    const n = (this.ownedPerShard.get(o.item.shard) ?? 1) - 1;
    if (n <= 0) this.ownedPerShard.delete(o.item.shard);
    else this.ownedPerShard.set(o.item.shard, n);
  }

  /** Forgets an owned job that will not be sent (cancelled, refused at its mark). */
  private dropOwned(jobId: string): void {
    const o = this.owned.get(jobId);
    if (!o) return;
    this.disown(jobId);
    this.lastChange.set(`job:${jobId}`, ++this.seq);
    if (this.leases.draining.has(o.item.shard) && this.isQuiet(o.item.shard)) this.requestLeaseStep();
  }

  /** Told that job `jobId` was cancelled in the database (in process or by NOTIFY). */
  private dropCancelled(jobId: string): void {
    this.knownCancelled.set(jobId, this.now());
    // A cancelled run has ended (a retry that was waiting, or a tick claimed ahead).
    this.endRun(jobId);
    this.queue.remove('job', jobId);
    this.lastChange.set(`job:${jobId}`, ++this.seq);
    const o = this.owned.get(jobId);
    if (!o) return;
    // `marking`: the mark's answer decides (the database refuses it, and the id is now known).
    // `inflight`/`writing` cannot be: the cancel won, so no mark did.
    if (o.state === 'claimed' || o.state === 'armed' || o.state === 'deferred') {
      this.dropOwned(jobId);
      this.counters.cancelledTold++;
      this.logger.debug({ node: this.nodeId, job: jobId }, 'timer: claimed job cancelled before dispatch; dropped');
    }
  }

  private pruneKnownCancelled(): void {
    const before = this.now() - this.options.horizonMs;
    for (const [id, at] of this.knownCancelled) if (at < before) this.knownCancelled.delete(id);
  }

  private isQuiet(shard: number): boolean {
    return !this.ownedPerShard.has(shard);
  }

  private retryDeferred(): void {
    if (this.deferred.length === 0) return;
    const items = this.deferred;
    this.deferred = [];
    for (const item of items) {
      const o = this.owned.get(item.jobId);
      if (!o || o.state !== 'deferred') continue;
      this.fireOne(item);
    }
  }

  /** Forgets lost or released shards: queued entries, claimed, armed and deferred work, overlap state. */
  private dropShards(shards: number[]): void {
    const set = new Set(shards);
    this.queue.dropShards(set);
    for (const [dueMs, items] of this.claimed) {
      const keep = items.filter((it) => !set.has(it.shard));
      for (const it of items) if (set.has(it.shard)) this.disown(it.jobId);
      if (keep.length > 0) this.claimed.set(dueMs, keep);
      else this.claimed.delete(dueMs);
    }
    // Marks in flight: their answer finds them gone.
    for (const o of [...this.owned.values()]) if (o.state === 'marking' && set.has(o.item.shard)) this.disown(o.item.jobId);
    for (const [dueMs, items] of this.armed) {
      const keep = items.filter((it) => !set.has(it.shard));
      for (const it of items) if (set.has(it.shard)) this.disown(it.jobId);
      if (keep.length > 0) this.armed.set(dueMs, keep);
      else {
        this.armed.delete(dueMs);
        const t = this.fireTimers.get(dueMs);
        if (t) clearTimeout(t);
        this.fireTimers.delete(dueMs);
      }
    }
    this.deferred = this.deferred.filter((it) => {
      if (!set.has(it.shard)) return true;
      this.disown(it.jobId);
      return false;
    });
    for (const [id, runs] of this.activeRuns) {
      if (!set.has(runs.shard)) continue;
      for (const jobId of runs.jobs.keys()) this.runOf.delete(jobId);
      this.activeRuns.delete(id);
    }
  }

  private recordLateness(ms: number): void {
    if (this.latency.length < LATENESS_WINDOW) this.latency.push(ms);
    else this.latency[this.latencyPos++ % LATENESS_WINDOW] = ms;
  }

  stats(): SchedulerStats {
    let claimed = 0;
    let armed = 0;
    let inFlight = 0;
    for (const o of this.owned.values()) {
      if (o.state === 'claimed' || o.state === 'marking') claimed++;
      else if (o.state === 'armed') armed++;
      else if (o.state === 'inflight') inFlight++;
    }
    const sorted = [...this.latency].sort((a, b) => a - b);
    const pct = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]);
    const c = this.counters;
    return {
      nodeId: this.nodeId,
      running: this.running,
      stopping: this.stopping !== null,
      shards: { held: this.leases.held.size, draining: this.leases.draining.size },
      liveNodes: this.leases.liveNodes,
      queued: this.queue.size,
      claimed,
      armed,
      deferred: this.deferred.length,
      inFlight,
      pendingWrites: this.writer.pending,
      claimedTicks: c.claimedTicks,
      claimedJobs: c.claimedJobs,
      lostRaces: c.lostRaces,
      fired: c.fired,
      succeeded: c.succeeded,
      failed: c.failed,
      retries: c.retries,
      skipped: c.skipped,
      cancelled: { told: c.cancelledTold, refusedAtMark: c.cancelledAtMark },
      misfires: { fireOnce: c.misfireFireOnce, skip: c.misfireSkip },
      dropped: c.dropped,
      errors: c.errors,
      lateness: { count: sorted.length, p50: pct(0.5), p99: pct(0.99), max: sorted.length ? sorted[sorted.length - 1] : 0 },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Running mode: the steps on timers, each surviving database errors with a backoff.

  async start(): Promise<void> {
    if (this.running || this.stopping) return;
    this.running = true;
    this.logger.info({ node: this.nodeId, pg: this.pg }, 'timer: starting');
    await this.executor.warmUp?.();
    if (this.listener) await this.listener.start().catch((err) => this.logger.warn(errorInfo(err), 'timer: LISTEN failed'));
    await this.runLease();
    this.refillTimer = setInterval(() => this.requestRefill('all'), this.options.refillIntervalMs);
    this.refillTimer.unref();
    this.requestRefill('all');
  }

  private nextBackoff(loop: keyof Scheduler['backoff'], cap: number): number {
    const b = Math.min(cap, this.backoff[loop] === 0 ? 100 : this.backoff[loop] * 2);
    this.backoff[loop] = b;
    return b;
  }

  private loopError(loop: keyof Scheduler['backoff'], err: unknown, cap: number): number {
    this.counters.errors++;
    const delay = this.nextBackoff(loop, cap);
    this.logger.error({ ...errorInfo(err), node: this.nodeId, loop, retryInMs: delay }, `timer: ${loop} step failed`);
    return delay;
  }

  private requestLeaseStep(): void {
    if (!this.running) return;
    if (this.loops.lease) {
      this.leaseAgain = true;
      return;
    }
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = setTimeout(() => void this.runLease(), 0);
    this.leaseTimer.unref();
  }

  private runLease(): Promise<void> {
    if (this.loops.lease) return this.loops.lease;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    const p = (async () => {
      let delay = Math.max(50, Math.floor(this.options.leaseTtlMs / 3));
      try {
        const change = await this.leaseStep();
        this.backoff.lease = 0;
        // Step again just after another node's lease would expire: if it is dead, take over then.
        if (change.nextForeignExpiryMs !== null) delay = Math.min(delay, Math.max(20, Math.ceil(change.nextForeignExpiryMs) + 20));
      } catch (err) {
        delay = Math.min(delay, this.loopError('lease', err, delay));
      }
      if (this.leaseAgain) {
        this.leaseAgain = false;
        delay = 0;
      }
      if (this.running) {
        this.leaseTimer = setTimeout(() => void this.runLease(), delay);
        this.leaseTimer.unref();
      }
    })().finally(() => {
      this.loops.lease = null;
    });
    this.loops.lease = p;
    return p;
  }

  /** `next`: the next page of a backlog (see refillStep); a full refill pending covers it. */
  private requestRefill(shards: number[] | 'all' | 'next'): void {
    if (shards === 'all') this.refillAll = true;
    else if (shards === 'next') this.refillNext = true;
    else for (const s of shards) this.refillShards.add(s);
    if (!this.running || this.loops.refill) return;
    this.loops.refill = this.runRefill().finally(() => {
      this.loops.refill = null;
    });
  }

  private async runRefill(): Promise<void> {
    while (this.running && (this.refillAll || this.refillNext || this.refillShards.size > 0)) {
      const all = this.refillAll;
      const next = !all && this.refillNext;
      // A full refill covers the shards and the next page; the next page goes before the shards.
      const shards = all ? [...this.refillShards] : next ? [] : [...this.refillShards];
      if (all || next) this.refillNext = false;
      this.refillAll = false;
      if (all || !next) this.refillShards.clear();
      try {
        await this.refillStep(all || next ? undefined : shards, { next });
        this.backoff.refill = 0;
      } catch (err) {
        if (all) this.refillAll = true;
        if (next) this.refillNext = true;
        for (const s of shards) this.refillShards.add(s);
        await sleep(this.loopError('refill', err, 5_000));
      }
    }
  }

  private armClaimTimer(): void {
    if (!this.running || this.stopping || this.claimThrottled) return;
    const head = this.queue.peekDueMs();
    if (head === null) return;
    const at = head - this.options.claimAheadMs;
    if (this.loops.claim) {
      if (at <= this.now()) this.claimAgain = true;
      else if (at < this.claimTimerAt) this.setClaimTimer(at);
      return;
    }
    if (at >= this.claimTimerAt && this.claimTimer) return;
    this.setClaimTimer(at);
  }

  private setClaimTimer(at: number): void {
    if (this.claimTimer) clearTimeout(this.claimTimer);
    this.claimTimerAt = at;
    this.claimTimer = setTimeout(() => {
      this.claimTimer = null;
      this.claimTimerAt = Infinity;
      // Claim moments often coincide with fire moments (whole seconds): fire first.
      this.fireDueStep();
      this.runClaim();
    }, Math.max(0, at - this.now()));
    this.claimTimer.unref();
  }

  private runClaim(): void {
    if (this.loops.claim) {
      this.claimAgain = true;
      return;
    }
    this.loops.claim = (async () => {
      do {
        this.claimAgain = false;
        try {
          await this.claimStep();
          this.backoff.claim = 0;
        } catch (err) {
          await sleep(this.loopError('claim', err, 2_000));
          this.claimAgain = true;
        }
      } while (this.claimAgain && this.running && !this.stopping);
    })().finally(() => {
      this.loops.claim = null;
      this.armClaimTimer();
    });
  }

  private armMarkTimer(): void {
    if (!this.running || this.stopping) return;
    let head = this.claimedDue.peek();
    while (head !== undefined && !this.claimed.has(head)) {
      this.claimedDue.pop();
      head = this.claimedDue.peek();
    }
    if (head === undefined) return;
    const at = head - this.options.dispatchMarkMs;
    if (this.loops.mark) {
      if (at <= this.now()) this.markAgain = true;
      else if (at < this.markTimerAt) this.setMarkTimer(at);
      return;
    }
    if (at >= this.markTimerAt && this.markTimer) return;
    this.setMarkTimer(at);
  }

  private setMarkTimer(at: number): void {
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimerAt = at;
    this.markTimer = setTimeout(() => {
      this.markTimer = null;
      this.markTimerAt = Infinity;
      this.fireDueStep();
      this.runMark();
    }, Math.max(0, at - this.now()));
    this.markTimer.unref();
  }

  private runMark(): void {
    if (this.loops.mark) {
      this.markAgain = true;
      return;
    }
    this.loops.mark = (async () => {
      do {
        this.markAgain = false;
        try {
          await this.markStep();
          this.backoff.mark = 0;
        } catch (err) {
          await sleep(this.loopError('mark', err, 1_000));
          this.markAgain = true;
        }
      } while (this.markAgain && this.running && !this.stopping);
    })().finally(() => {
      this.loops.mark = null;
      this.armMarkTimer();
    });
  }

  private scheduleFlush(): void {
    if (!this.running && !this.stopping) return;
    if (this.loops.flush) return;
    if (this.writer.full) {
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = null;
      this.runFlush();
      return;
    }
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.runFlush();
    }, this.options.flushIntervalMs);
    this.flushTimer.unref();
  }

  private runFlush(): void {
    if (this.loops.flush) return;
    this.loops.flush = (async () => {
      try {
        const t0 = performance.now();
        const rows = await this.writer.flush();
        this.logger.debug({ node: this.nodeId, rows, ms: Math.round(performance.now() - t0) }, 'timer: flush step');
        this.backoff.flush = 0;
      } catch (err) {
        await sleep(this.loopError('flush', err, 5_000));
      }
    })().finally(() => {
      this.loops.flush = null;
      if (this.writer.pending > 0) this.scheduleFlush();
    });
  }

  private notifyLeases(): void {
    notifyWake(this.db, formatWake('lease', -1, 0, this.nodeId)).catch((err) =>
      this.logger.warn(errorInfo(err), 'timer: lease notify failed'),
    );
  }

  /**
   * Stops the node: stop claiming; hand claimed-but-not-fired jobs back; wait for in-flight
   * calls up to the deadline; write their results; release every lease (another node takes
   * over at once, woken by NOTIFY) and deregister.
   */
  stop(deadlineMs = 25_000): Promise<void> {
    this.stopping ??= this.doStop(deadlineMs);
    return this.stopping;
  }

  private async doStop(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    this.running = false;
    for (const t of [this.leaseTimer, this.claimTimer, this.markTimer, this.flushTimer]) if (t) clearTimeout(t);
    if (this.refillTimer) clearInterval(this.refillTimer);
    this.leaseTimer = this.claimTimer = this.markTimer = this.flushTimer = this.refillTimer = null;
    await Promise.allSettled([this.loops.claim, this.loops.mark, this.loops.lease, this.loops.refill].filter(Boolean));

    // Hand back what is claimed but not fired (marked or not: nothing of it went out).
    for (const t of this.fireTimers.values()) clearTimeout(t);
    this.fireTimers.clear();
    this.armed.clear();
    this.claimed.clear();
    this.claimedDue.clear();
    this.deferred = [];
    const handBack = [...this.owned.values()]
      .filter((o) => o.state === 'claimed' || o.state === 'marking' || o.state === 'armed' || o.state === 'deferred')
      .map((o) => o.item);
    try {
      const n = await unclaimJobs(this.db, handBack);
      if (n > 0) this.logger.info({ node: this.nodeId, jobs: n }, 'timer: claimed jobs handed back');
    } catch (err) {
      this.logger.warn(errorInfo(err), 'timer: handing back claimed jobs failed; the next owner re-runs them');
    }
    for (const item of handBack) this.disown(item.jobId);

    // In-flight calls, up to the deadline.
    if (this.inflight.size > 0) {
      await Promise.race([Promise.allSettled([...this.inflight]), sleep(Math.max(0, deadline - Date.now()))]);
    }
    // Results: retry until the deadline.
    for (;;) {
      try {
        await this.writer.flush();
        break;
      } catch (err) {
        if (Date.now() >= deadline) {
          this.logger.error({ ...errorInfo(err), lost: this.writer.pending }, 'timer: executions not written before the deadline');
          break;
        }
        await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
      }
    }
    try {
      const released = await this.leases.releaseAll();
      this.logger.info({ node: this.nodeId, shards: released.length }, 'timer: leases released');
      if (this.pg && released.length > 0) await notifyWake(this.db, formatWake('lease', -1, 0, this.nodeId));
    } catch (err) {
      this.logger.warn(errorInfo(err), 'timer: releasing leases failed; they expire after the TTL');
    }
    await this.listener?.stop();
    this.queue.clear();
  }
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export type { DueEntry, ScheduleDue, JobDue };
