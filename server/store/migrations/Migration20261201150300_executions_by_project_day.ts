import { Migration } from '@mikro-orm/migrations';

/**
 * A project's executions by start time, for the daily execution limit
 * (server/core/executions/daily-limit.ts): counting today's executions reads this index from
 * 00:00 UTC and stops at the limit. It is one more index entry per execution written.
 */
export class Migration20261201150300_executions_by_project_day extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index executions_project_started_idx on executions (project_id, started_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists executions_project_started_idx;`);
  }
}
