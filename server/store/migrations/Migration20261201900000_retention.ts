import { Migration } from '@mikro-orm/migrations';

/**
 * Retention (server/timer/retention.ts).
 *
 * - `projects.retention_days`: the project's own age limit in days for executions, pings and
 *   sent alerts (0 keeps them forever); null follows the server's TOCK_RETENTION_DAYS.
 * - `alerts_project_done_idx`: the sent (delivered or failed) alerts of a project by age, so a
 *   retention batch reads the oldest few of one project and stops. Pending alerts are not in
 *   it: retention never touches them. Executions already have `executions_project_started_idx`
 *   and pings are reached through `pings_monitor_idx` (their ids sort by time).
 */
export class Migration20261201900000_retention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table projects add column retention_days integer null;`);
    this.addSql(`create index alerts_project_done_idx on alerts (project_id, created_at) where status in ('delivered', 'failed');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists alerts_project_done_idx;`);
    this.addSql(`alter table projects drop column if exists retention_days;`);
  }
}
