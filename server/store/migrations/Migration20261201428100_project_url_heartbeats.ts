import { Migration } from '@mikro-orm/migrations';

/**
 * - `projects.url`: the address of what a project is about (a web site). Informational: Tock
 *   never calls it.
 * - `monitors.schedule_id`: a schedule's heartbeat, a monitor that belongs to the schedule
 *   (expected on the schedule's trigger, deleted with it). At most one per schedule; null for a
 *   monitor of its own. The unique index also serves the foreign key's cascade on schedule
 *   deletes (a strict `=` implies the index's `is not null`).
 */
export class Migration20261201428100_project_url_heartbeats extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table projects add column url text null;`);
    this.addSql(`alter table monitors add column schedule_id text null references schedules (id) on delete cascade;`);
    this.addSql(`create unique index monitors_schedule_uq on monitors (schedule_id) where schedule_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists monitors_schedule_uq;`);
    this.addSql(`alter table monitors drop column if exists schedule_id;`);
    this.addSql(`alter table projects drop column if exists url;`);
  }
}
