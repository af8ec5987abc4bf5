import { Migration } from '@mikro-orm/migrations';

/**
 * `jobs.dispatched_at`: when the timer committed to sending the job's current attempt.
 *
 * The timer claims work ahead of its time (`status = 'running'`, `lease_epoch`), and a short
 * while before the due moment it marks the attempt dispatched (`dispatched_at = now()`, one
 * batched statement). Between the two the job is "claimed, not dispatched" and can still be
 * cancelled: the core's cancel only wins while `dispatched_at is null`, the timer's dispatch
 * mark only wins while the job is still `running` under its epoch, and the row lock orders the
 * two. A new claim of a `scheduled` job (next attempt) clears it; handing a claim back clears it.
 * Internal to the timer and the cancel path: not part of the Job domain type.
 */
export class Migration20261123120000_job_dispatched_at extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table jobs add column dispatched_at timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table jobs drop column if exists dispatched_at;`);
  }
}
