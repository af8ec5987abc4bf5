import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OwnedState } from './owned.js';
import type { DueKind } from './sources/source.js';

/** What the node reports at read time (gauges). */
export interface TimerGauges {
  shards(): { held: number; draining: number };
  queued(): number;
  owned(): Record<OwnedState, number>;
  pendingWrites(): number;
}

/** Upper bounds of the fire lateness histogram, in seconds. */
const LATENESS_BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60];

/**
 * The timer's metrics: prom-client objects in a registry of the node's own (several nodes in one
 * process do not share names), every series labelled with the node id. `registry.metrics()` is
 * the Prometheus text a `/metrics` endpoint serves; the node's `stats()` reads the same objects.
 *
 * The objects updated once per attempt (lateness, results) are label-free or bound to their
 * labels here once, so the fire path makes one histogram observation per call and one counter
 * increment per result.
 */
export class TimerMetrics {
  readonly registry = new Registry();

  private readonly claimed: Counter<'kind'>;
  readonly lostRaces: Counter;
  readonly succeeded: ReturnType<Counter<'result'>['labels']>;
  readonly failed: ReturnType<Counter<'result'>['labels']>;
  readonly retried: ReturnType<Counter<'result'>['labels']>;
  readonly skipped: Counter;
  readonly cancelledTold: ReturnType<Counter<'how'>['labels']>;
  readonly cancelledAtMark: ReturnType<Counter<'how'>['labels']>;
  private readonly misfires: Counter<'policy'>;
  readonly dropped: Counter;
  private readonly loopErrors: Counter<'loop'>;
  readonly lateness: Histogram;
  private readonly monitorDeadlines: Counter;
  /** Leases this node took from another node that let them expire. */
  readonly leaseTakeovers: Counter;
  /** Leases this node held and found owned by another node (it failed to renew in time). */
  readonly leasesLost: Counter;
  /**
   * Alert deliveries by channel (`webhook`, `email`) and outcome: `delivered`, `retry` (failed,
   * tried again later), `failed` (given up). The outcomes are the deliverer's DeliveryOutcome kinds.
   */
  readonly alerts: Counter<'channel' | 'outcome'>;

  alertOutcome(channel: string, outcome: 'delivered' | 'retry' | 'failed'): void {
    this.alerts.labels(channel, outcome).inc();
  }

  constructor(nodeId: string, gauges: TimerGauges) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: nodeId });
    this.claimed = new Counter({ name: 'tock_timer_claimed_total', help: 'Attempts claimed, by kind of due work.', labelNames: ['kind'], registers });
    this.lostRaces = new Counter({ name: 'tock_timer_lost_races_total', help: 'Claims that found the row moved by someone else.', registers });
    const results = new Counter({
      name: 'tock_timer_attempt_results_total',
      help: 'Attempts answered: the job succeeded, failed (terminal) or is retried.',
      labelNames: ['result'],
      registers,
    });
    this.succeeded = results.labels('succeeded');
    this.failed = results.labels('failed');
    this.retried = results.labels('retry');
    this.skipped = new Counter({ name: 'tock_timer_skipped_total', help: 'Ticks skipped by overlap forbid.', registers });
    const cancelled = new Counter({
      name: 'tock_timer_cancelled_total',
      help: 'Claimed attempts dropped unsent because they were cancelled (told by the core, or refused at the dispatch mark).',
      labelNames: ['how'],
      registers,
    });
    this.cancelledTold = cancelled.labels('told');
    this.cancelledAtMark = cancelled.labels('refused_at_mark');
    this.misfires = new Counter({ name: 'tock_timer_misfires_total', help: 'Schedule ticks found late past the misfire threshold, by policy.', labelNames: ['policy'], registers });
    this.dropped = new Counter({ name: 'tock_timer_dropped_total', help: 'Claimed attempts dropped because the lease was lost or the project is gone.', registers });
    this.loopErrors = new Counter({ name: 'tock_timer_loop_errors_total', help: 'Failed loop steps (retried after a backoff), by loop.', labelNames: ['loop'], registers });
    this.lateness = new Histogram({
      name: 'tock_timer_fire_lateness_seconds',
      help: 'How late each call went out after its due time (its count is the calls sent).',
      buckets: LATENESS_BUCKETS_S,
      registers,
    });
    this.monitorDeadlines = new Counter({
      name: 'tock_timer_monitor_deadlines_total',
      help: 'Missed monitor deadlines this node decided (the monitor went down, or counted one more missed period).',
      registers,
    });
    this.leaseTakeovers = new Counter({
      name: 'tock_timer_lease_takeovers_total',
      help: 'Shard leases taken over from a node that let them expire.',
      registers,
    });
    this.leasesLost = new Counter({
      name: 'tock_timer_leases_lost_total',
      help: 'Shard leases this node held and found taken over (not renewed in time).',
      registers,
    });
    this.alerts = new Counter({
      name: 'tock_alerts_total',
      help: 'Alert deliveries by channel and outcome (delivered, retry, failed).',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    for (const channel of ['webhook', 'email']) for (const outcome of ['delivered', 'retry', 'failed']) this.alerts.labels(channel, outcome).inc(0);
    for (const kind of ['schedule', 'job'] as const) this.claimed.labels(kind).inc(0);
    for (const policy of ['fire_once', 'skip'] as const) this.misfires.labels(policy).inc(0);
    for (const how of [this.cancelledTold, this.cancelledAtMark, this.succeeded, this.failed, this.retried]) how.inc(0);

    new Gauge({
      name: 'tock_timer_shards',
      help: 'Shard leases held, and of those draining.',
      labelNames: ['state'],
      registers,
      collect() {
        const s = gauges.shards();
        this.set({ state: 'held' }, s.held);
        this.set({ state: 'draining' }, s.draining);
      },
    });
    new Gauge({
      name: 'tock_timer_queued',
      help: 'Entries in the due queues.',
      registers,
      collect() {
        this.set(gauges.queued());
      },
    });
    new Gauge({
      name: 'tock_timer_owned',
      help: 'Attempts owned by this node, by state.',
      labelNames: ['state'],
      registers,
      collect() {
        for (const [state, n] of Object.entries(gauges.owned())) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'tock_timer_pending_writes',
      help: 'Attempt results waiting for the writer.',
      registers,
      collect() {
        this.set(gauges.pendingWrites());
      },
    });
  }

  claimedOf(kind: DueKind, n: number): void {
    if (n > 0) this.claimed.labels(kind).inc(n);
  }

  monitorDeadlinesDecided(n: number): void {
    if (n > 0) this.monitorDeadlines.inc(n);
  }

  misfire(policy: 'fire_once' | 'skip'): void {
    this.misfires.labels(policy).inc();
  }

  /** A loop's error series starts at 0 when the loop is made, so rate() and alert rules see it before its first failure. */
  loopMade(loop: string): void {
    this.loopErrors.labels(loop).inc(0);
  }

  loopFailed(loop: string): void {
    this.loopErrors.labels(loop).inc();
  }

  /** One call went out `ms` after its due time. */
  firedLate(ms: number): void {
    this.lateness.observe(ms > 0 ? ms / 1000 : 0);
  }

  /** The current values, by metric name and label values (`""` for a series without labels). */
  async read(): Promise<MetricValues> {
    const out: MetricValues = new Map();
    for (const m of await this.registry.getMetricsAsJSON()) {
      const series = new Map<string, number>();
      for (const v of m.values) {
        const labels = v.labels as Record<string, string | number>;
        const name = (v as { metricName?: string }).metricName ?? m.name;
        const parts = name === m.name ? [] : [name.slice(m.name.length)];
        for (const [k, x] of Object.entries(labels)) if (k !== 'node') parts.push(`${k}=${x}`);
        const key = parts.join(',');
        series.set(key, v.value);
      }
      out.set(m.name, series);
    }
    return out;
  }
}

/** Metric name -> series key -> value. A series key is `label=value,...` (histograms: `_bucket,le=0.01`, `_count`, `_sum`). */
export type MetricValues = Map<string, Map<string, number>>;

/**
 * Lateness summary from the histogram: p50, p99 and max as bucket upper bounds in ms ("at most";
 * Infinity past the last bucket). `count` is the number of calls sent.
 */
export function latenessOf(values: MetricValues): { count: number; p50: number; p99: number; max: number } {
  const h = values.get('tock_timer_fire_lateness_seconds');
  const count = h?.get('_count') ?? 0;
  if (!h || count === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const at = (q: number): number => {
    for (const le of LATENESS_BUCKETS_S) if ((h.get(`_bucket,le=${le}`) ?? 0) >= q * count) return le * 1000;
    return Infinity;
  };
  return { count, p50: at(0.5), p99: at(0.99), max: at(1) };
}
