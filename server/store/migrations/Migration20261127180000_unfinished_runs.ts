import { Migration } from '@mikro-orm/migrations';

/**
 * The unfinished runs of a schedule, for overlap `forbid` (read by the schedule claim, see
 * server/timer/fire.ts). Only jobs of a schedule that are not terminal have an entry (a terminal
 * job has `next_attempt_at = null`), so the index stays as small as the work in flight. Claims
 * and dispatch marks change neither column and stay HOT updates.
 */
export class Migration20261127180000_unfinished_runs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index jobs_unfinished_run_idx on jobs (schedule_id) where next_attempt_at is not null and schedule_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists jobs_unfinished_run_idx;`);
  }
}
