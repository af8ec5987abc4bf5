import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { CancelKind, Waker, WakeKind } from '../core/wake.js';
import type { Database } from '../store/database.js';
import { Deliverer } from '../notify/deliver.js';
import { handBackClaims } from '../store/job-transitions.js';
import { AlertRunner, DEFAULT_ALERT_DELIVERY, type AlertDelivery } from './alert-runner.js';
import { CancelNotices, ChangeLog } from './changes.js';
import { Claimer, type ClaimStepResult } from './claim.js';
import { markStep, type DispatchMarkDeps } from './dispatch-mark.js';
import { DueQueues } from './due-queue.js';
import { ExecutionWriter } from './executions.js';
import { FirePath, type CallExecutor, type FireItem } from './fire.js';
import { LeaseManager, type LeaseChange } from './leases.js';
import { realTimers, SteppedLoop, type SteppedLoopOptions } from './loop.js';
import { latenessOf, TimerMetrics } from './metrics.js';
import { errorInfo, resolveOptions, type TimerLogger, type TimerOptions } from './options.js';
import { OwnedItems, type Owned } from './owned.js';
import { Ownership } from './ownership.js';
import { Refiller } from './refill.js';
import { Retention, type RetentionOptions } from './retention.js';
import { SecretCache } from './secrets.js';
import { AlertSource } from './sources/alerts.js';
import { JobSource } from './sources/jobs.js';
import { MonitorSource, type MonitorDeadlineDecision } from './sources/monitors.js';
import { ScheduleSource } from './sources/schedules.js';
import type { DueEntry, DueSource } from './sources/source.js';
import { UnfinishedRuns } from './unfinished-runs.js';
import { formatWake, notifyWake, WakeListener, WakePublisher, type WakeMessage } from './wake.js';

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
  /**
   * The core's deadline decision (`core.monitorDeadlines`): with it, monitor deadlines on this
   * node's shards are due work (sources/monitors.ts). A node without it leaves them undecided,
   * so every node of a cluster with monitors gets it.
   */
  monitorDeadlines?: MonitorDeadlineDecision;
  /** Retention of old executions, pings and sent alerts on the shards this node owns (retention.ts). */
  retention?: Partial<RetentionOptions>;
  /** Alert delivery (links, SMTP, sender); default: links to localhost, no SMTP. */
  alerts?: AlertDelivery;
}

export interface SchedulerStats {
  nodeId: string;
  running: boolean;
  stopping: boolean;
  /** Leases held (draining included), of those draining, and of those still valid on this node's clock (renewed in time). */
  shards: { held: number; draining: number; valid: number };
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
  /** Missed monitor deadlines this node decided. */
  monitorDeadlines: number;
  dropped: number;
  errors: number;
  /**
   * Fire lateness (call sent - due time) since start, in ms, from the lateness histogram: p50,
   * p99 and max are bucket upper bounds ("at most"); `count` is the calls sent.
   */
  lateness: { count: number; p50: number; p99: number; max: number };
}

/**
 * One scheduler node: the wiring of the timer's parts. Each loop is a single step that can be
 * called directly (tests) and that the running node calls in a SteppedLoop (loop.ts):
 * - `leaseStep()`: heartbeat, renew, acquire/drain/release (leases.ts), applied by ownership.ts;
 * - `refillStep(shards?)`: loads what is due within the horizon on owned shards into the due
 *   queues, from every source (refill.ts, sources/);
 * - `claimStep(now)`: claims what is due within each source's lead (claim.ts);
 * - `markStep(now)`: marks claimed work due within `dispatchMarkMs` dispatched and arms it
 *   (dispatch-mark.ts);
 * - `fireDueStep(now)`: fires armed work due at or before `now` (fire.ts; the running node fires
 *   from one timer per due time instead, and before each claim or mark step);
 * - `flushStep()`: writes pending results (executions.ts).
 *
 * Invariants (besides the lease ones in leases.ts and the job-state ones in
 * server/store/job-transitions.ts)
 * - An attempt this node claimed is owned (owned.ts) from its claim until its result is written,
 *   or until it is dropped unsent or handed back. Refills do not queue owned jobs, so a job
 *   `running` under this node's epoch that is *not* owned is one whose claim answer was lost:
 *   it is recovered like a dead node's job.
 * - A refill only queues a row if nothing this node did to it happened after the refill started
 *   (changes.ts).
 * - Told of a cancel (in process, or `cancel` NOTIFY), the node drops the job at once and
 *   remembers its id (CancelNotices), checked again at the mark and right before the call.
 */
export class Scheduler implements Waker {
  readonly nodeId: string;
  readonly options: TimerOptions;
  readonly leases: LeaseManager;
  readonly queue: DueQueues;
  readonly writer: ExecutionWriter;
  readonly secrets: SecretCache;
  /** prom-client metrics in a registry of this node's own (`metrics.registry.metrics()` for /metrics). */
  readonly metrics: TimerMetrics;
  readonly retention: Retention;
  /** Delivers the alerts the alert source claims (sources/alerts.ts), beside the fire path. */
  readonly alertRunner: AlertRunner;

  private readonly db: Database;
  private readonly clock: Clock;
  private readonly logger: TimerLogger;
  private readonly executor: CallExecutor;
  private readonly pg: boolean;

  private readonly ownership: Ownership;
  private readonly owned: OwnedItems;
  private readonly changes = new ChangeLog();
  private readonly cancels = new CancelNotices();
  private readonly runs = new UnfinishedRuns();
  private readonly sources: readonly DueSource[];
  private readonly refiller: Refiller;
  private readonly claimer: Claimer;
  private readonly fire: FirePath;
  private readonly marks: DispatchMarkDeps;

  private running = false;
  private stopping: Promise<void> | null = null;
  private readonly listener: WakeListener | null = null;
  /** NOTIFYs to the other nodes (PostgreSQL only), coalesced while one is in flight. */
  private readonly publisher: WakePublisher | null = null;
  private readonly leaseLoop: SteppedLoop;
  private readonly refillLoop: SteppedLoop;
  private readonly claimLoop: SteppedLoop;
  private readonly markLoop: SteppedLoop;
  private readonly flushLoop: SteppedLoop;
  private readonly retentionLoop: SteppedLoop;

  constructor(deps: SchedulerDeps) {
    this.db = deps.db;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger;
    this.executor = deps.executor;
    this.options = resolveOptions(deps.options);
    this.nodeId = this.options.nodeId ?? newId('node');
    this.pg = deps.databaseUrl !== null;
    const now = () => this.now();
    const { db, nodeId, options, logger } = this;
    this.leases = new LeaseManager(db, nodeId, { ttlMs: options.leaseTtlMs, hostname: hostname(), pid: process.pid });
    this.ownership = new Ownership(this.leases, nodeId, logger, {
      gained: (shards) => this.refiller.request(shards),
      lost: (shards) => this.dropShards(shards),
      released: () => {
        if (this.pg) this.notifyLeases();
      },
    });
    const alerts = deps.alerts ?? DEFAULT_ALERT_DELIVERY;
    this.writer = new ExecutionWriter(db, logger, options.flushMaxRows, {
      publicUrl: alerts.publicUrl,
      now: () => new Date(this.now()),
      enqueued: (shards) => this.alertsEnqueued(shards),
    });
    this.secrets = new SecretCache(db, options.secretTtlMs);
    this.owned = new OwnedItems({ armed: (dueMs) => this.fire.armedAt(dueMs), released: (o) => this.released(o) });
    const metrics = (this.metrics = new TimerMetrics(nodeId, {
      shards: () => ({ held: this.ownership.heldCount, draining: this.ownership.drainingCount }),
      queued: () => this.queue.size,
      owned: () => this.owned.counts(),
      pendingWrites: () => this.writer.pending,
    }));
    this.alertRunner = new AlertRunner({
      db,
      deliverer: new Deliverer({
        ...alerts.delivery,
        executor: this.executor,
        signingSecrets: async (projectId) => (await this.secrets.get(projectId)) ?? Promise.reject(new Error(`project ${projectId} is gone`)),
        mailer: alerts.mailer,
        from: alerts.from,
      }),
      metrics,
      logger,
      now,
      maxConcurrent: alerts.maxConcurrent ?? 16,
      maxWaiting: 1_000,
      retry: (entry) => this.requeue(entry),
    });
    this.sources = [
      new ScheduleSource({ db, nodeId, options, metrics, logger }),
      new JobSource({ db, nodeId, leadMs: options.claimAheadMs, owned: this.owned, cancels: this.cancels }),
      ...(deps.monitorDeadlines ? [new MonitorSource({ db, decision: deps.monitorDeadlines, metrics })] : []),
      new AlertSource({ db, nodeId, runner: this.alertRunner, holdMs: ALERT_HOLD_MS }),
    ];
    this.queue = new DueQueues(this.sources);
    this.fire = new FirePath({
      owned: this.owned,
      leases: this.leases,
      secrets: this.secrets,
      executor: this.executor,
      writer: this.writer,
      runs: this.runs,
      cancels: this.cancels,
      changes: this.changes,
      metrics,
      logger,
      now,
      random: deps.random ?? Math.random,
      retry: (item, dueMs) => this.retry(item, dueMs),
      flush: () => this.scheduleFlush(),
    });
    this.marks = {
      db,
      nodeId,
      options,
      owned: this.owned,
      cancels: this.cancels,
      fire: this.fire,
      metrics,
      logger,
      now,
      refused: () => this.refiller.ownClaimsUnknown(),
    };
    this.refiller = new Refiller({
      nodeId,
      options,
      sources: this.sources,
      queues: this.queue,
      ownership: this.ownership,
      changes: this.changes,
      logger,
      now,
      requested: () => this.refillLoop.kick(),
      queued: () => this.armClaimTimer(),
    });
    this.claimer = new Claimer({
      nodeId,
      options,
      sources: this.sources,
      queues: this.queue,
      ownership: this.ownership,
      owned: this.owned,
      changes: this.changes,
      cancels: this.cancels,
      runs: this.runs,
      secrets: this.secrets,
      metrics,
      logger,
      now,
      hold: (items) => this.hold(items),
      reload: (shards) => this.refiller.request(shards),
      unanswered: () => this.refiller.ownClaimsUnknown(),
    });

    const leasePeriod = Math.max(50, Math.floor(options.leaseTtlMs / 3));
    let leaseDelay = leasePeriod;
    this.leaseLoop = this.loop('lease', leasePeriod, {
      step: async () => {
        const change = await this.leaseStep();
        // Step again just after another node's lease would expire: if it is dead, take over then.
        leaseDelay =
          change.nextForeignExpiryMs === null ? leasePeriod : Math.min(leasePeriod, Math.max(20, Math.ceil(change.nextForeignExpiryMs) + 20));
        return false;
      },
      nextAt: () => this.now() + leaseDelay,
    });
    this.refillLoop = this.loop('refill', 5_000, { step: () => this.refiller.stepRequested(), nextAt: () => this.refiller.nextAt() });
    this.claimLoop = this.loop('claim', 2_000, {
      step: async () => {
        // Claim moments often coincide with fire moments (whole seconds): fire first.
        this.fireDueStep();
        await this.claimStep();
        return false;
      },
      nextAt: () => (this.stopping ? null : this.claimer.nextAt()),
    });
    this.markLoop = this.loop('mark', 1_000, {
      step: async () => {
        this.fireDueStep();
        await this.markStep();
        return false;
      },
      nextAt: () => this.nextMarkAt(),
    });
    this.flushLoop = this.loop('flush', 5_000, {
      step: async () => {
        const t0 = performance.now();
        const rows = await this.writer.flush();
        this.logger.debug({ node: this.nodeId, rows, ms: Math.round(performance.now() - t0) }, 'timer: flush step');
        return this.writer.full;
      },
      // While a flush runs, results queue up; the next flush is timed from its end.
      nextAt: () => (this.writer.pending > 0 ? this.now() + this.options.flushIntervalMs : null),
    });

    this.retention = new Retention({ db, owns: (shard) => this.ownership.claims(shard), now, logger, options: deps.retention });
    this.retentionLoop = this.loop('retention', 60_000, { step: () => this.retention.step(), nextAt: () => this.retention.nextAt() });

    if (deps.databaseUrl) {
      this.publisher = new WakePublisher(db, logger, nodeId);
      this.listener = new WakeListener(
        deps.databaseUrl,
        this.logger,
        (m) => this.onBusMessage(m),
        () => {
          this.refiller.request('all');
          this.leaseLoop.kick();
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
    if (!this.queue.handles(kind)) return; // no source for that kind of work (monitors, on a node without the deadline decision)
    if (dueAt.getTime() - this.now() >= this.options.horizonMs) return;
    if (this.ownership.claims(shard)) {
      this.refiller.request([shard]);
    } else if (!this.stopping) {
      this.publisher?.wake(kind, shard, dueAt.getTime());
    }
  }

  /**
   * The core's cancel (job cancel, schedule pause/delete) won in the database for job `id`. If
   * this node holds it claimed, it drops it now; if another node holds the shard, NOTIFY tells it.
   */
  cancelled(kind: CancelKind, shard: number, id: string): void {
    this.dropCancelled(id);
    if (!this.ownership.holds(shard) && !this.stopping) this.publisher?.cancel(kind, shard, id);
  }

  private onBusMessage(m: WakeMessage): void {
    if (m.origin === this.nodeId || this.stopping) return;
    if (m.kind === 'lease') {
      this.leaseLoop.kick();
      return;
    }
    if (m.kind === 'cancel') {
      if (m.id) this.dropCancelled(m.id);
      return;
    }
    if (!this.queue.handles(m.kind)) return;
    if (this.ownership.claims(m.shard) && m.dueMs - this.now() < this.options.horizonMs) this.refiller.request([m.shard]);
  }

  // ---------------------------------------------------------------------------------------------
  // Steps

  /** Lease loop step (ownership.ts); afterwards deferred fires go again. */
  async leaseStep(): Promise<LeaseChange> {
    const change = await this.ownership.step((shard) => this.owned.quiet(shard));
    if (change.takenOver.length > 0) this.metrics.leaseTakeovers.inc(change.takenOver.length);
    if (change.lost.length > 0) this.metrics.leasesLost.inc(change.lost.length);
    // Drained shards with nothing claimed on them can go now rather than at the next step.
    if (change.draining.some((shard) => this.owned.quiet(shard))) this.leaseLoop.kick();
    this.fire.retryDeferred();
    this.cancels.prune(this.now() - this.options.horizonMs);
    return change;
  }

  /** See Refiller.step. */
  refillStep(shards?: number[], opts: { next?: boolean } = {}): Promise<number> {
    return this.refiller.step(shards, opts);
  }

  /** See Claimer.step. */
  async claimStep(now: Date = this.clock.now()): Promise<ClaimStepResult> {
    if (this.stopping) return { claimed: 0, jobs: 0, lostRaces: 0 };
    const result = await this.claimer.step(now.getTime());
    this.refiller.afterClaims();
    this.armClaimTimer();
    return result;
  }

  /** See dispatch-mark.ts. */
  markStep(now: Date = this.clock.now()): Promise<number> {
    return markStep(this.marks, now.getTime());
  }

  /** Fires armed (marked) work due at or before `now`; returns how many attempts were due. */
  fireDueStep(now: Date = this.clock.now()): number {
    return this.fire.fireDue(now.getTime());
  }

  /** Writes pending executions; returns rows written. */
  async flushStep(): Promise<number> {
    return this.writer.flush();
  }

  /** Resolves when no call is in flight and every result is written (tests). */
  idle(): Promise<void> {
    return this.fire.idle();
  }

  /** A summary read from the metrics (see TimerMetrics). */
  async stats(): Promise<SchedulerStats> {
    const v = await this.metrics.read();
    const m = (name: string, series = '') => v.get(`tock_timer_${name}`)?.get(series) ?? 0;
    let errors = 0;
    for (const n of v.get('tock_timer_loop_errors_total')?.values() ?? []) errors += n;
    const lateness = latenessOf(v);
    return {
      nodeId: this.nodeId,
      running: this.running,
      stopping: this.stopping !== null,
      shards: { held: m('shards', 'state=held'), draining: m('shards', 'state=draining'), valid: this.leases.validCount() },
      liveNodes: this.leases.liveNodes,
      queued: m('queued'),
      claimed: m('owned', 'state=claimed') + m('owned', 'state=marking'),
      armed: m('owned', 'state=armed'),
      deferred: m('owned', 'state=deferred'),
      inFlight: m('owned', 'state=inflight'),
      pendingWrites: m('pending_writes'),
      claimedTicks: m('claimed_total', 'kind=schedule'),
      claimedJobs: m('claimed_total', 'kind=job'),
      lostRaces: m('lost_races_total'),
      fired: lateness.count,
      succeeded: m('attempt_results_total', 'result=succeeded'),
      failed: m('attempt_results_total', 'result=failed'),
      retries: m('attempt_results_total', 'result=retry'),
      skipped: m('skipped_total'),
      cancelled: { told: m('cancelled_total', 'how=told'), refusedAtMark: m('cancelled_total', 'how=refused_at_mark') },
      misfires: { fireOnce: m('misfires_total', 'policy=fire_once'), skip: m('misfires_total', 'policy=skip') },
      monitorDeadlines: m('monitor_deadlines_total'),
      dropped: m('dropped_total'),
      errors,
      lateness,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Between the parts

  /** Claimed attempts enter the state machine: `armed` if the claim marked them, else `claimed`. */
  private hold(items: FireItem[]): void {
    for (const item of items) {
      if (this.owned.get(item.jobId)) continue;
      if (this.cancels.has(item.jobId) && !item.dispatched) {
        // Claimed just before the cancel won; the claim's answer came after the news.
        this.metrics.cancelledTold.inc();
        this.changes.note('job', item.jobId);
        continue;
      }
      this.owned.own(item, item.dispatched ? 'armed' : 'claimed');
    }
    this.armMarkTimer();
  }

  /** An attempt's retry is due at `dueMs`. */
  private retry(item: FireItem, dueMs: number): void {
    if (dueMs - this.now() >= this.options.horizonMs) return;
    this.queue.push({ kind: 'job', id: item.jobId, shard: item.shard, dueMs, status: 'scheduled' });
    this.armClaimTimer();
  }

  /** Alert rows were committed on these shards (result writes): due now. */
  private alertsEnqueued(shards: number[]): void {
    const now = new Date(this.now());
    for (const shard of new Set(shards)) this.wake('alert', shard, now);
  }

  /** An entry of a source is due again at `entry.dueMs` (an alert's retry). */
  private requeue(entry: DueEntry): void {
    if (this.stopping || entry.dueMs - this.now() >= this.options.horizonMs || !this.ownership.claims(entry.shard)) return;
    this.queue.push(entry);
    this.armClaimTimer();
  }

  /** OwnedItems hook: an attempt left the state machine. */
  private released(o: Owned): void {
    if (this.claimer.throttled && this.owned.size <= this.options.maxOwned / 2) {
      this.claimer.throttled = false;
      if (this.running && !this.stopping) setImmediate(() => this.claimLoop.kick());
    }
    const shard = o.item.shard;
    if (this.ownership.draining(shard) && this.owned.quiet(shard)) this.leaseLoop.kick();
  }

  /** Told that job `jobId` was cancelled in the database (in process or by NOTIFY). */
  private dropCancelled(jobId: string): void {
    this.cancels.add(jobId, this.now());
    // A cancelled run has ended (a retry that was waiting, or a tick claimed ahead).
    this.runs.end(jobId);
    this.queue.remove('job', jobId);
    this.changes.note('job', jobId);
    const o = this.owned.get(jobId);
    if (!o) return;
    // `marking`: the mark's answer decides (the database refuses it, and the id is now known).
    // `inflight`/`writing` cannot be: the cancel won, so no mark did.
    if (o.state === 'claimed' || o.state === 'armed' || o.state === 'deferred') {
      this.fire.drop(o);
      this.metrics.cancelledTold.inc();
      this.logger.debug({ node: this.nodeId, job: jobId }, 'timer: claimed job cancelled before dispatch; dropped');
    }
  }

  /** Forgets lost or released shards: queued entries, unsent owned work, unfinished runs. */
  private dropShards(shards: number[]): void {
    const set = new Set(shards);
    this.queue.dropShards(set);
    // Marks in flight are dropped too: their answer finds them gone.
    for (const o of this.owned.unsent(set)) this.owned.release(o);
    this.runs.dropShards(set);
  }

  // ---------------------------------------------------------------------------------------------
  // Running mode: each step in a SteppedLoop (one at a time, backoff on database errors).

  async start(): Promise<void> {
    if (this.running || this.stopping) return;
    this.running = true;
    this.logger.info({ node: this.nodeId, pg: this.pg }, 'timer: starting');
    await this.executor.warmUp?.();
    if (this.listener) await this.listener.start().catch((err) => this.logger.warn(errorInfo(err), 'timer: LISTEN failed'));
    this.fire.start();
    for (const loop of [this.leaseLoop, this.refillLoop, this.claimLoop, this.markLoop, this.flushLoop, this.retentionLoop]) loop.start();
    await this.leaseLoop.stepNow();
    this.refiller.request('all');
  }

  private loop(name: string, maxBackoffMs: number, opts: Pick<SteppedLoopOptions, 'step' | 'nextAt'>): SteppedLoop {
    this.metrics.loopMade(name);
    return new SteppedLoop({
      name,
      ...opts,
      backoff: { firstMs: 100, maxMs: maxBackoffMs },
      timers: { ...realTimers, now: () => this.now() },
      onError: (err, loop, retryInMs) => {
        this.metrics.loopFailed(loop);
        this.logger.error({ ...errorInfo(err), node: this.nodeId, loop, retryInMs }, `timer: ${loop} step failed`);
      },
    });
  }

  private armClaimTimer(): void {
    const at = this.stopping ? null : this.claimer.nextAt();
    if (at !== null) this.claimLoop.kickAt(at);
  }

  private nextMarkAt(): number | null {
    if (this.stopping) return null;
    const head = this.owned.nextClaimedDue();
    return head === null ? null : head - this.options.dispatchMarkMs;
  }

  private armMarkTimer(): void {
    const at = this.nextMarkAt();
    if (at !== null) this.markLoop.kickAt(at);
  }

  private scheduleFlush(): void {
    if (this.writer.full) this.flushLoop.kick();
    else if (!this.flushLoop.busy) this.flushLoop.kickAt(this.now() + this.options.flushIntervalMs);
  }

  private notifyLeases(): void {
    this.publisher?.wake('lease', -1, 0);
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
    this.fire.stopArming();
    await Promise.allSettled([this.claimLoop.stop(), this.markLoop.stop(), this.leaseLoop.stop(), this.refillLoop.stop(), this.retentionLoop.stop()]);

    // Hand back what is claimed but not fired (marked or not: nothing of it went out).
    this.fire.stop();
    this.owned.clearIndexes();
    const handBack = this.owned.unsent();
    try {
      const n = await handBackClaims(
        this.db,
        handBack.map((o) => o.item),
      );
      if (n > 0) this.logger.info({ node: this.nodeId, jobs: n }, 'timer: claimed jobs handed back');
    } catch (err) {
      this.logger.warn(errorInfo(err), 'timer: handing back claimed jobs failed; the next owner re-runs them');
    }
    for (const o of handBack) this.owned.release(o);

    // In-flight calls and alert deliveries, up to the deadline.
    await Promise.all([this.fire.settle(Math.max(0, deadline - Date.now())), this.alertRunner.stop(deadline - Date.now())]);
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
    await this.publisher?.drain();
    try {
      const released = await this.ownership.releaseAll();
      this.logger.info({ node: this.nodeId, shards: released.length }, 'timer: leases released');
      if (this.pg && released.length > 0) await notifyWake(this.db, formatWake('lease', -1, 0, this.nodeId));
    } catch (err) {
      this.logger.warn(errorInfo(err), 'timer: releasing leases failed; they expire after the TTL');
    }
    await this.flushLoop.stop();
    await this.listener?.stop();
    this.queue.clear();
  }
}

/** How long an alert claim holds its row: past the delivery timeout, with room for recording it. */
const ALERT_HOLD_MS = 60_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export type { CallExecutor } from './fire.js';
export type { ClaimStepResult } from './claim.js';
