import { Migration } from '@mikro-orm/migrations';

/**
 * `jobs.name`: a one-time job's display name (Prikke's `name` of a `run_at` job). Null for jobs a
 * schedule spawned (their schedule has the name) and for one-time jobs created without one.
 *
 * `jobs_one_time_pending_idx`: the one-time jobs of a project that are still due, by id. Lists
 * of "what is configured to run" (schedules plus pending one-time jobs) read it; without it the
 * scan by `(project_id, id)` would walk every finished tick of every schedule of the project.
 */
export class Migration20261201417700_job_names extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table jobs add column name text null;`);
    this.addSql(
      `create index jobs_one_time_pending_idx on jobs (project_id, id) where schedule_id is null and status in ('scheduled', 'running');`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists jobs_one_time_pending_idx;`);
    this.addSql(`alter table jobs drop column if exists name;`);
  }
}
