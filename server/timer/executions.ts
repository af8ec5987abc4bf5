import type { Database } from '../store/database.js';
import { sqlState } from '../store/errors.js';
import { writeAttemptResults, type AttemptResult } from '../store/job-transitions.js';
import { errorInfo, type TimerLogger } from './options.js';

interface Pending {
  rec: AttemptResult;
  bytes: number;
  resolve: (jobUpdated: boolean) => void;
}

/** What the writer needs to enqueue the alerts results call for. */
export interface ResultAlerts {
  /** Base of the links in alerts. */
  publicUrl: string;
  now(): Date;
  /** Alert rows were committed on these shards. */
  enqueued(shards: number[]): void;
}

/**
 * Writes attempt results in batches (`writeAttemptResults`, one statement per batch: the
 * executions, their jobs, their schedules, fenced on the claim's lease epoch; in the same
 * transaction, when a result calls for it, its alert rows, flips and failure streaks).
 *
 * `add` resolves once the row is written, with whether the job row was updated. A failed batch
 * stays queued and is retried (the caller's flush timer backs off); a batch refused by an
 * integrity error (a job deleted meanwhile) is split so one bad row cannot block the others.
 */
export class ExecutionWriter {
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private flushing: Promise<number> | null = null;

  constructor(
    private readonly db: Database,
    private readonly logger: TimerLogger,
    readonly maxRows: number,
    private readonly alerts: ResultAlerts = { publicUrl: 'http://localhost', now: () => new Date(), enqueued: () => {} },
    readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  /** True when a flush should start without waiting for the interval. */
  get full(): boolean {
    return this.queue.length >= this.maxRows || this.queuedBytes >= this.maxBytes;
  }

  add(rec: AttemptResult): Promise<boolean> {
    return new Promise((resolve) => {
      const bytes = 512 + (rec.responseBody?.length ?? 0) * 2 + (rec.error?.length ?? 0);
      this.queue.push({ rec, bytes, resolve });
      this.queuedBytes += bytes;
    });
  }

  /** Writes everything queued now (in batches); returns the rows written. Throws when a batch fails. */
  flush(): Promise<number> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    const p = this.flushAll().finally(() => {
      this.flushing = null;
    });
    this.flushing = p;
    return p;
  }

  private async flushAll(): Promise<number> {
    let written = 0;
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && batch.length < this.maxRows && (batch.length === 0 || bytes + this.queue[0].bytes <= this.maxBytes)) {
        const p = this.queue.shift()!;
        bytes += p.bytes;
        batch.push(p);
      }
      this.queuedBytes -= bytes;
      try {
        written += await this.writeSplitting(batch);
      } catch (err) {
        // Put the batch back in front, in order, and let the caller retry later.
        this.queue.unshift(...batch);
        this.queuedBytes += bytes;
        throw err;
      }
    }
    return written;
  }

  private async writeSplitting(batch: Pending[]): Promise<number> {
    try {
      const { updated, alertShards } = await writeAttemptResults(
        this.db,
        batch.map((p) => p.rec),
        { publicUrl: this.alerts.publicUrl, now: this.alerts.now() },
      );
      if (alertShards.length > 0) this.alerts.enqueued(alertShards);
      for (const p of batch) p.resolve(updated.has(p.rec.jobId));
      return batch.length;
    } catch (err) {
      if (!sqlState(err).startsWith('23')) throw err;
      if (batch.length === 1) {
        this.logger.warn({ ...errorInfo(err), jobId: batch[0].rec.jobId }, 'execution dropped: its job or project is gone');
        batch[0].resolve(false);
        return 0;
      }
      const mid = batch.length >> 1;
      return (await this.writeSplitting(batch.slice(0, mid))) + (await this.writeSplitting(batch.slice(mid)));
    }
  }
}
