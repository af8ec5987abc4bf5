import type { Transporter } from 'nodemailer';
import type { AlertRow } from '../store/entities.js';
import type { CallOutcome, HttpExecutor } from '../executor/index.js';
import { emailMessage } from './email.js';
import { webhookBody } from './messages.js';

/**
 * Sends one alert to its channel and says what came of it; the outbox's DueSource records the
 * outcome (store/outbox.ts `recordDelivery`) and schedules the retry. Never throws.
 *
 * Webhooks go through the HttpExecutor like job calls: the target policy applies, the call is
 * signed (Standard Webhooks) with the project's secrets and `webhook-id` = the alert id, which
 * stays the same on every retry so a receiver can drop repeats; 10 s timeout. Email goes
 * through the nodemailer transport of TOCK_SMTP_URL, with the alert id in the Message-ID.
 */

export type DeliveryOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; afterMs: number; error: string }
  | { kind: 'failed'; error: string };

export interface DelivererOptions {
  executor: Pick<HttpExecutor, 'execute'>;
  /** The secrets the project signs with (current first, then the previous while a rotation overlaps). */
  signingSecrets(projectId: string): Promise<string[]>;
  /** null: no SMTP server configured; email alerts fail saying so. */
  mailer: Transporter | null;
  /** Sender of email alerts (TOCK_ALERT_FROM). */
  from: string;
  timeoutMs?: number;
  /** Attempts before giving up (the first included). Default 10. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. Default 30 s. */
  backoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
}

/** HTTP statuses worth another try; any other 4xx/3xx will not change by waiting. */
const RETRYABLE_STATUS = new Set([408, 409, 425, 429]);

export class Deliverer {
  readonly #o: Required<Omit<DelivererOptions, 'mailer'>> & { mailer: Transporter | null };

  constructor(options: DelivererOptions) {
    this.#o = { timeoutMs: 10_000, maxAttempts: 10, backoffMs: 30_000, maxBackoffMs: 3_600_000, random: Math.random, ...options };
  }

  async deliver(alert: AlertRow): Promise<DeliveryOutcome> {
    try {
      return alert.channel === 'email' ? await this.#email(alert) : await this.#webhook(alert);
    } catch (err) {
      return this.#retry(alert, `delivery failed: ${err instanceof Error ? err.message : String(err)}`, null);
    }
  }

  async #webhook(alert: AlertRow): Promise<DeliveryOutcome> {
    if (alert.format === 'email') return { kind: 'failed', error: `a webhook alert cannot have the email format` };
    const secrets = await this.#o.signingSecrets(alert.projectId);
    const result = await this.#o.executor.execute({
      url: alert.target,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...alert.headers },
      body: webhookBody(alert.format, alert.payload),
      timeoutMs: this.#o.timeoutMs,
      signing: { id: alert.id, secrets },
    });
    return this.#judge(alert, result);
  }

  #judge(alert: AlertRow, r: CallOutcome): DeliveryOutcome {
    if (r.outcome === 'succeeded') return { kind: 'delivered' };
    const error = r.error ?? `HTTP ${r.statusCode}`;
    if (r.outcome === 'refused') return { kind: 'failed', error };
    if (r.outcome === 'failed' && r.statusCode !== null && r.statusCode < 500 && !RETRYABLE_STATUS.has(r.statusCode)) return { kind: 'failed', error };
    return this.#retry(alert, error, r.retryAfterMs);
  }

  async #email(alert: AlertRow): Promise<DeliveryOutcome> {
    if (!this.#o.mailer) return { kind: 'failed', error: 'email alerts need an SMTP server: set TOCK_SMTP_URL' };
    const m = emailMessage(alert.payload);
    try {
      await this.#o.mailer.sendMail({ from: this.#o.from, to: alert.target, subject: m.subject, text: m.text, html: m.html, messageId: `<${alert.id}@tock>` });
      return { kind: 'delivered' };
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      const error = `SMTP: ${err instanceof Error ? err.message : String(err)}`;
      // 5xx is the server's final word (unknown mailbox, refused sender); the rest may pass later.
      if (typeof code === 'number' && code >= 500) return { kind: 'failed', error };
      return this.#retry(alert, error, null);
    }
  }

  /** Exponential backoff with equal jitter, a receiver's Retry-After honoured up to the cap; failed after the last attempt. */
  #retry(alert: AlertRow, error: string, retryAfterMs: number | null): DeliveryOutcome {
    const attempt = alert.attempts + 1;
    if (attempt >= this.#o.maxAttempts) return { kind: 'failed', error: `${error} (gave up after ${attempt} attempts)` };
    const base = Math.min(this.#o.maxBackoffMs, this.#o.backoffMs * 2 ** (attempt - 1));
    const delay = base / 2 + this.#o.random() * (base / 2);
    return { kind: 'retry', afterMs: Math.round(Math.min(this.#o.maxBackoffMs, Math.max(delay, retryAfterMs ?? 0))), error };
  }
}
