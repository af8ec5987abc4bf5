import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CoreEvents } from '../core/deps.js';
import type { MonitorStatus, PingKind } from '../core/types.js';
import type { Database } from '../store/database.js';
import { COUNT_MONITORS_BY_STATUS_SQL } from '../store/sql/count-monitors-by-status.js';

/**
 * The node's metrics besides the timer's: API requests of every surface, pings, monitors by
 * status, the database pool and the process. Served at `/metrics` merged with the timer's own
 * registry (server/timer/metrics.ts) when this node runs the scheduler. Every name has the
 * `tock_` prefix; label values come from closed sets (route templates, not raw paths), so the
 * number of series stays bounded whatever clients send.
 */

/** One answered API request. `route` is a template (`/v1/jobs/:id`, `/tock.v1.JobService/GetJob`, `schedules.list`). */
export interface ApiRequest {
  /** `http` (Tock's own endpoints: health, pings, sign-up, metrics), `rest`, `trpc` or `grpc`. */
  surface: 'http' | 'rest' | 'trpc' | 'grpc';
  /** The REST dialect that served it; only for `rest`. */
  dialect?: string;
  route: string;
  /** The HTTP method; gRPC calls have none. */
  method?: string;
  /** HTTP status code, or the gRPC status name (`OK`, `NOT_FOUND`, ...). */
  status: string;
}

/** What a surface reports each answered request to. */
export interface ApiObserver {
  observe(request: ApiRequest, seconds: number): void;
}

/** Upper bounds of the API latency histogram, in seconds. */
const API_LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const MONITOR_STATUSES: readonly MonitorStatus[] = ['new', 'up', 'down', 'paused'];
const PING_KINDS: readonly PingKind[] = ['success', 'start', 'fail'];

/** The grouped monitor count is read at most this often; scrapes in between see the last answer. */
const MONITOR_COUNT_TTL_MS = 10_000;
/** A statement of a scrape that does not answer within this is given up (a scrape must not hang on a dead pool). */
const SCRAPE_QUERY_TIMEOUT_MS = 2_000;

export interface TockMetricsOptions {
  db: Database;
  /** The timer's registry, when this node runs the scheduler. */
  timer?: Registry | null;
  /** Process metrics (CPU, memory, event loop, GC) as `tock_process_*` / `tock_nodejs_*`; default on. */
  processMetrics?: boolean;
  /** Monotonic milliseconds (the monitor count cache); default performance.now. */
  now?: () => number;
}

export class TockMetrics implements ApiObserver {
  readonly registry = new Registry();
  /** Give it to the core: counts pings as they are recorded. */
  readonly events: CoreEvents;

  private timer: Registry | null;
  private readonly requests: Counter<'surface' | 'dialect' | 'route' | 'method' | 'status'>;
  private readonly latency: Histogram<'surface' | 'dialect' | 'route' | 'method'>;

  /** The timer starts after the core (it decides monitor deadlines through it): its registry joins then. */
  attachTimer(timer: Registry): void {
    this.timer = timer;
  }

  constructor(opts: TockMetricsOptions) {
    const registers = [this.registry];
    const { db } = opts;
    const now = opts.now ?? (() => performance.now());
    this.timer = opts.timer ?? null;

    this.requests = new Counter({
      name: 'tock_api_requests_total',
      help: 'API requests answered, by surface (http, rest, trpc, grpc), REST dialect, route template, method and status.',
      labelNames: ['surface', 'dialect', 'route', 'method', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'tock_api_request_duration_seconds',
      help: 'Time from a request arriving to its answer being sent, by surface, REST dialect, route template and method.',
      labelNames: ['surface', 'dialect', 'route', 'method'],
      buckets: API_LATENCY_BUCKETS_S,
      registers,
    });

    const pings = new Counter({ name: 'tock_pings_total', help: 'Pings recorded on monitors, by kind (success, start, fail).', labelNames: ['kind'], registers });
    for (const kind of PING_KINDS) pings.labels(kind).inc(0);
    this.events = { pinged: (kind) => pings.labels(kind).inc() };

    let counted: { at: number; rows: Map<string, number> } | null = null;
    let counting: Promise<Map<string, number>> | null = null;
    const countMonitors = async (): Promise<Map<string, number>> => {
      if (counted && now() - counted.at < MONITOR_COUNT_TTL_MS) return counted.rows;
      counting ??= withTimeout(db.query<{ status: string; n: number }>(COUNT_MONITORS_BY_STATUS_SQL, [], 'tock_count_monitors_by_status'), SCRAPE_QUERY_TIMEOUT_MS)
        .then((rows) => {
          counted = { at: now(), rows: new Map(rows.map((r) => [r.status, Number(r.n)])) };
          return counted.rows;
        })
        .finally(() => {
          counting = null;
        });
      return counting;
    };
    new Gauge({
      name: 'tock_monitors',
      help: `Monitors of every project by status (all nodes report the same count; read at most every ${MONITOR_COUNT_TTL_MS / 1000} s).`,
      labelNames: ['status'],
      registers,
      async collect() {
        try {
          const rows = await countMonitors();
          for (const status of MONITOR_STATUSES) this.set({ status }, rows.get(status) ?? 0);
        } catch {
          // The database does not answer: no value rather than a stale one (and the scrape still succeeds).
          this.reset();
        }
      },
    });

    new Gauge({
      name: 'tock_db_pool_connections',
      help: 'Database pool connections: busy (running a statement) or idle.',
      labelNames: ['state'],
      registers,
      collect() {
        const s = db.poolStats();
        this.set({ state: 'busy' }, s.busy);
        this.set({ state: 'idle' }, s.idle);
      },
    });
    new Gauge({
      name: 'tock_db_pool_waiting',
      help: 'Callers waiting for a database pool connection.',
      registers,
      collect() {
        this.set(db.poolStats().waiting);
      },
    });
    new Gauge({
      name: 'tock_db_pool_max',
      help: 'Most connections the database pool opens (TOCK_DB_POOL_SIZE).',
      registers,
      collect() {
        this.set(db.poolStats().max);
      },
    });

    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'tock_' });
  }

  observe(r: ApiRequest, seconds: number): void {
    const labels: Partial<Record<'surface' | 'dialect' | 'route' | 'method', string>> = { surface: r.surface, route: r.route };
    if (r.dialect !== undefined) labels.dialect = r.dialect;
    if (r.method !== undefined) labels.method = r.method;
    this.requests.inc({ ...labels, status: r.status });
    this.latency.observe(labels, seconds);
  }

  /**
   * Prometheus text of this registry and the timer's. The two texts are joined rather than the
   * registries merged: `Registry.merge` drops the timer registry's default `node` label.
   */
  async render(): Promise<{ contentType: string; body: string }> {
    const [own, timer] = await Promise.all([this.registry.metrics(), this.timer?.metrics() ?? '']);
    return { contentType: this.registry.contentType, body: timer ? `${own}\n${timer}` : own };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
