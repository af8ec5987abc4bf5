import type { Transporter } from 'nodemailer';
import type { Deliverer, DelivererOptions, DeliveryOutcome } from '../notify/deliver.js';
import type { Database } from '../store/database.js';
import type { AlertRow } from '../store/entities.js';
import { recordDelivery, type DeliveryRecord } from '../store/outbox.js';
import type { TimerMetrics } from './metrics.js';
import { errorInfo, type TimerLogger } from './options.js';
import type { AlertDue } from './sources/alerts.js';
import { HAND_BACK_ALERTS_SQL } from './sql/claim-alerts.js';
import { ENQUEUE_REMINDER_SQL } from './sql/enqueue-reminder.js';
import { newId } from '../core/ids.js';

/**
 * Delivers the alerts the alert source claimed, apart from the fire path: at most
 * `maxConcurrent` deliveries at a time (job calls never wait for an alert), the rest waiting
 * here in claim order, at most `maxWaiting` of them (the source admits no more meanwhile).
 *
 * Each delivery (server/notify Deliverer: signed webhook with `webhook-id` = the alert id, or
 * email; 10 s timeout) is recorded by one update conditional on the attempts the claim read
 * (store/outbox.ts `recordDelivery`): delivered, failed for good, or pending again with the next
 * attempt's time, which goes back into the due queue. A delivery whose record fails is not
 * retried here: the claim's hold runs out and the row is due again (at least once).
 */

/** How a node delivers alerts (SchedulerDeps.alerts). */
export interface AlertDelivery {
  /** Base of the links in alerts (TOCK_PUBLIC_URL). */
  publicUrl: string;
  /** SMTP transport of TOCK_SMTP_URL; null: email alerts fail saying so. */
  mailer: Transporter | null;
  /** Sender of email alerts (TOCK_ALERT_FROM). */
  from: string;
  /** Deliverer tunables (tests shorten the backoff). */
  delivery?: Pick<DelivererOptions, 'timeoutMs' | 'maxAttempts' | 'backoffMs' | 'maxBackoffMs' | 'random'>;
  /** Deliveries at a time. Default 16. */
  maxConcurrent?: number;
}

export const DEFAULT_ALERT_DELIVERY: AlertDelivery = { publicUrl: 'http://localhost:3000', mailer: null, from: 'Tock <tock@localhost>' };

export interface ClaimedAlert {
  alert: AlertRow;
  /** Lease epoch of the claim. */
  epoch: number;
}

export interface AlertRunnerDeps {
  db: Database;
  deliverer: Deliverer;
  metrics: TimerMetrics;
  logger: TimerLogger;
  now(): number;
  maxConcurrent: number;
  maxWaiting: number;
  /** A retry of an alert is due at `entry.dueMs`. */
  retry(entry: AlertDue): void;
}

export class AlertRunner {
  private readonly waiting: ClaimedAlert[] = [];
  /** Alert ids waiting or being delivered. */
  private readonly held = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: AlertRunnerDeps) {}

  has(id: string): boolean {
    return this.held.has(id);
  }

  hasRoom(): boolean {
    return !this.stopped && this.waiting.length < this.deps.maxWaiting;
  }

  get size(): number {
    return this.held.size;
  }

  run(claimed: readonly ClaimedAlert[]): void {
    for (const c of claimed) {
      if (this.held.has(c.alert.id)) continue;
      this.held.add(c.alert.id);
      this.waiting.push(c);
    }
    this.pump();
  }

  /** Resolves when nothing waits and nothing is being delivered (tests). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /**
   * Stops: what waits is handed back (due now, for the next owner of its shard); deliveries under
   * way may finish and record until `deadlineMs` passes.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopped = true;
    const back = this.waiting.splice(0);
    for (const c of back) this.held.delete(c.alert.id);
    if (back.length > 0) {
      await this.deps.db
        .query(HAND_BACK_ALERTS_SQL, [JSON.stringify(back.map((c) => ({ id: c.alert.id, attempts: c.alert.attempts })))], 'tock_hand_back_alerts')
        .catch((err) => this.deps.logger.warn(errorInfo(err), 'timer: handing back alerts failed; they are due again after their hold'));
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadlineMs)).unref()))]);
    clearTimeout(timer);
  }

  private pump(): void {
    while (this.inflight.size < this.deps.maxConcurrent && this.waiting.length > 0) {
      const c = this.waiting.shift()!;
      const p = this.deliver(c).finally(() => {
        this.inflight.delete(p);
        this.held.delete(c.alert.id);
        if (!this.stopped) this.pump();
      });
      this.inflight.add(p);
    }
  }

  /** Enqueues the next reminder of a delivered failure alert, if its subject wants one and is still failing. */
  private async remind(alert: AlertRow): Promise<void> {
    if (!REMINDED.has(alert.event)) return;
    try {
      const [next] = await this.deps.db.query<{ id: string; due_ms: number }>(ENQUEUE_REMINDER_SQL, [alert.id, newId('alert')], 'tock_enqueue_reminder');
      if (next) this.deps.retry({ kind: 'alert', id: next.id, shard: alert.shard, dueMs: Number(next.due_ms), attempts: 0 });
    } catch (err) {
      this.deps.logger.warn({ ...errorInfo(err), alert: alert.id }, 'timer: enqueueing a reminder failed');
    }
  }

  private async deliver(c: ClaimedAlert): Promise<void> {
    const { alert } = c;
    const outcome = await this.deps.deliverer.deliver(alert);
    const at = new Date(this.deps.now());
    const record = recordOf(outcome, at);
    this.deps.metrics.alertOutcome(alert.channel, outcome.kind);
    let won: boolean;
    try {
      won = await recordDelivery(this.deps.db, alert.id, alert.attempts, record);
    } catch (err) {
      this.deps.logger.warn({ ...errorInfo(err), alert: alert.id }, 'timer: recording an alert delivery failed; it is sent again after its hold');
      return;
    }
    if (!won) {
      this.deps.logger.debug({ alert: alert.id }, 'timer: alert delivery recorded by another node');
      return;
    }
    if (record.kind === 'delivered') await this.remind(alert);
    if (record.kind === 'failed') this.deps.logger.warn({ alert: alert.id, event: alert.event, channel: alert.channel, error: record.error }, 'timer: alert not delivered');
    if (record.kind === 'retry') {
      this.deps.retry({ kind: 'alert', id: alert.id, shard: alert.shard, dueMs: record.nextAttemptAt.getTime(), attempts: alert.attempts + 1 });
    }
  }
}

/** Failure alerts whose delivery may lead to a reminder (ENQUEUE_REMINDER_SQL decides). */
const REMINDED = new Set(['job.failed', 'job.timeout', 'monitor.down']);

function recordOf(o: DeliveryOutcome, at: Date): DeliveryRecord {
  if (o.kind === 'delivered') return { kind: 'delivered', at };
  if (o.kind === 'failed') return { kind: 'failed', at, error: o.error };
  return { kind: 'retry', at, nextAttemptAt: new Date(at.getTime() + o.afterMs), error: o.error };
}
