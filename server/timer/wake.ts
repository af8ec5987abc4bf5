import pg from 'pg';
import { isId } from '../core/ids.js';
import type { CancelKind, Waker, WakeKind } from '../core/wake.js';
import type { Database } from '../store/database.js';
import { errorInfo, silentLogger, type TimerLogger } from './options.js';
import { pgArray } from '../store/sql/values.js';
import { NOTIFY_WAKE_SQL, NOTIFY_WAKES_SQL, WAKE_CHANNEL } from './sql/notify-wake.js';

/**
 * Cross-node wake-ups on PostgreSQL: `NOTIFY tock_wake, '<kind>:<shard>:<dueMs>[:<origin node>]'`.
 * Kinds are the core's (`schedule`, `job`, `monitor`, `alert`) plus `lease` (a node released leases: take
 * them now instead of at the next lease step) and `cancel`, whose third field is a job id instead
 * of a due time: `cancel:<shard>:<jobId>[:<origin>]` (a claimed job was cancelled in the
 * database: its owner drops it). Every node LISTENs on a dedicated connection that reconnects on
 * error; after a reconnect it refills, since notifications sent meanwhile are lost (a lost
 * `cancel` costs nothing but a useless dispatch mark: the database refuses it).
 *
 * The embedded database (PGlite) does not deliver notifications across connections, so there the
 * scheduler uses only the in-process path (and there is only one node).
 */

export { WAKE_CHANNEL };

export type BusKind = WakeKind | 'lease' | 'cancel';

export interface WakeMessage {
  kind: BusKind;
  shard: number;
  /** 0 for `cancel`. */
  dueMs: number;
  origin: string | null;
  /** The cancelled job's id (`cancel` only), else null. */
  id: string | null;
}

const KINDS = new Set<BusKind>(['schedule', 'job', 'monitor', 'alert', 'lease', 'cancel']);

export function formatWake(kind: Exclude<BusKind, 'cancel'>, shard: number, dueMs: number, origin?: string): string {
  return `${kind}:${shard}:${Math.round(dueMs)}${origin ? `:${origin}` : ''}`;
}

/** `cancel:<shard>:<jobId>[:<origin>]`. */
export function formatCancel(kind: CancelKind, shard: number, id: string, origin?: string): string {
  void kind; // only jobs are cancelled; the kind is there for the Waker's signature
  return `cancel:${shard}:${id}${origin ? `:${origin}` : ''}`;
}

export function parseWake(payload: string): WakeMessage | null {
  const [kind, shard, third, origin] = payload.split(':');
  if (!KINDS.has(kind as BusKind)) return null;
  const s = Number(shard);
  if (!Number.isInteger(s)) return null;
  if (kind === 'cancel') {
    if (!third || !isId('job', third)) return null;
    return { kind: 'cancel', shard: s, dueMs: 0, origin: origin || null, id: third };
  }
  const d = Number(third);
  if (!Number.isFinite(d)) return null;
  return { kind: kind as BusKind, shard: s, dueMs: d, origin: origin || null, id: null };
}

export async function notifyWake(db: Database, payload: string): Promise<void> {
  await db.execute(NOTIFY_WAKE_SQL, [payload]);
}

/**
 * Publishes wake-ups and cancels with at most one NOTIFY statement in flight. A message sent
 * while the bus is idle goes out at once; what arrives while a statement is under way waits for
 * it and then goes out in one statement. Among the wakes waiting together, one per (kind, shard)
 * is kept, the earliest due: the owner refills the whole shard up to its horizon, so a burst of
 * creates costs each listening node one wake per shard and moment rather than one per create,
 * and the API node one round trip per batch rather than one per create. Nothing waits longer
 * than the statement before it; a message is sent after the change that caused it committed.
 */
export class WakePublisher {
  /** Wakes waiting, by `kind:shard`, the earliest due time kept. */
  private wakes = new Map<string, { kind: Exclude<BusKind, 'cancel'>; shard: number; dueMs: number }>();
  private cancels: string[] = [];
  private sending: Promise<void> | null = null;
  /** Statements sent and messages asked for since start (the coalescing, measured). */
  readonly counts = { statements: 0, requested: 0, sent: 0 };

  constructor(
    private readonly db: Database,
    private readonly logger: TimerLogger,
    private readonly origin?: string,
  ) {}

  wake(kind: Exclude<BusKind, 'cancel'>, shard: number, dueMs: number): void {
    this.counts.requested++;
    const key = `${kind}:${shard}`;
    const held = this.wakes.get(key);
    if (held === undefined) this.wakes.set(key, { kind, shard, dueMs });
    else if (dueMs < held.dueMs) held.dueMs = dueMs;
    this.kick();
  }

  cancel(kind: CancelKind, shard: number, id: string): void {
    this.counts.requested++;
    this.cancels.push(formatCancel(kind, shard, id, this.origin));
    this.kick();
  }

  /** Resolves once nothing is waiting or in flight (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private kick(): void {
    if (this.sending) return;
    this.sending = this.sendAll().finally(() => {
      this.sending = null;
    });
  }

  private async sendAll(): Promise<void> {
    while (this.wakes.size > 0 || this.cancels.length > 0) {
      const payloads = this.cancels;
      this.cancels = [];
      for (const w of this.wakes.values()) payloads.push(formatWake(w.kind, w.shard, w.dueMs, this.origin));
      this.wakes = new Map();
      this.counts.statements++;
      this.counts.sent += payloads.length;
      try {
        if (payloads.length === 1) await notifyWake(this.db, payloads[0]);
        else await this.db.query(NOTIFY_WAKES_SQL, [pgArray(payloads)], 'tock_notify_wakes');
      } catch (err) {
        // Lost wakes cost lateness until the owner's next refill; a lost cancel, a useless mark.
        this.logger.warn(errorInfo(err), 'wake notify failed');
      }
    }
  }
}

/**
 * A Waker for nodes that run the APIs but no timer (TOCK_SCHEDULER=false): it only NOTIFYs the
 * timer nodes, for things due within `horizonMs` (later ones are found by their refills), and
 * for every cancel that won (the owner may hold the job claimed); through a WakePublisher, so
 * creates landing together share statements and wakes.
 */
export function createNotifyWaker(db: Database, opts: { horizonMs?: number; logger?: TimerLogger } = {}): Waker & { publisher: WakePublisher } {
  const horizon = opts.horizonMs ?? 30_000;
  const publisher = new WakePublisher(db, opts.logger ?? silentLogger);
  return {
    publisher,
    wake(kind, shard, dueAt) {
      if (dueAt.getTime() - Date.now() >= horizon) return;
      publisher.wake(kind, shard, dueAt.getTime());
    },
    cancelled(kind, shard, id) {
      publisher.cancel(kind, shard, id);
    },
  };
}

/** The dedicated LISTEN connection. */
export class WakeListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private backoffMs = 250;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private connectedOnce = false;

  constructor(
    private readonly url: string,
    private readonly logger: TimerLogger,
    private readonly onMessage: (m: WakeMessage) => void,
    private readonly onReconnect: () => void,
  ) {}

  get connected(): boolean {
    return this.client !== null;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, keepAlive: true });
    let dropped = false;
    const drop = (err?: unknown) => {
      if (dropped) return;
      dropped = true;
      if (err) this.logger.warn(errorInfo(err), 'wake listener connection lost; reconnecting');
      if (this.client === client) this.client = null;
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', (err) => drop(err));
    client.on('end', () => drop());
    client.on('notification', (msg) => {
      if (msg.channel !== WAKE_CHANNEL || !msg.payload) return;
      const m = parseWake(msg.payload);
      if (m) this.onMessage(m);
    });
    try {
      await client.connect();
      await client.query(`listen ${WAKE_CHANNEL}`);
    } catch (err) {
      drop(err);
      return;
    }
    if (this.stopped || dropped) {
      client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.backoffMs = 250;
    if (this.connectedOnce) this.onReconnect();
    this.connectedOnce = true;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 5_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connectedOnce = true; // anything after the first attempt counts as a reconnect
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => {});
  }
}
