import { Migration } from '@mikro-orm/migrations';

/**
 * Heartbeat monitors that go down, and the alert outbox.
 *
 * - projects: notification channels (email, webhook and its format) and the ping key (pings by
 *   `<ping key>/<monitor key>`; null until first asked for on projects made before this).
 * - monitors and schedules: alert policy, the failure streak it counts, the webhook format.
 *   `monitors.revision` grows on every state write: a state change is one update conditional on
 *   the revision read, so a ping and the timer's deadline decision cannot both win.
 * - monitors_due_idx now covers every monitor with a deadline (a new monitor with a run started,
 *   a down one whose policy counts missed periods), not only `up` ones.
 * - schedules and jobs: a job's own terminal-state webhook headers; schedules get the webhook too,
 *   inherited by the jobs they spawn.
 * - pings: exit status and run duration.
 * - flips: every status change of a monitor or a schedule's health.
 * - alerts: the subject's shard (the owner of the shard delivers), the change that caused the
 *   alert and a unique key over (change, event, channel, target): one change is never enqueued
 *   twice for one receiver, whoever writes it and however often.
 */
export class Migration20261201000000_monitor_alerts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table projects
  add column notify_email text null,
  add column notify_webhook_url text null,
  add column notify_webhook_format text not null default 'auto',
  add column ping_key text null;
create unique index projects_ping_key_uq on projects (ping_key);

alter table monitors
  add column alert_policy text not null default 'on_change',
  add column alert_after_failures integer null,
  add column alert_reminder_seconds integer null,
  add column alert_webhook_format text not null default 'auto',
  add column failure_streak integer not null default 0,
  add column status_changed_at timestamptz null,
  add column revision bigint not null default 0;
drop index monitors_due_idx;
create index monitors_due_idx on monitors (shard, next_deadline_at) where next_deadline_at is not null;

alter table schedules
  add column webhook_url text null,
  add column webhook_headers jsonb not null default '{}',
  add column alert_policy text not null default 'on_change',
  add column alert_after_failures integer null,
  add column alert_reminder_seconds integer null,
  add column alert_webhook_format text not null default 'auto',
  add column failure_streak integer not null default 0;

alter table jobs add column webhook_headers jsonb not null default '{}';

alter table pings
  add column exit_status smallint null,
  add column duration_ms integer null;

create table flips (
  id text primary key,
  project_id text not null references projects (id) on delete cascade,
  subject_type text not null,
  subject_id text not null,
  from_status text null,
  to_status text not null,
  reason text not null,
  at timestamptz not null
);
create index flips_subject_idx on flips (subject_id, id);

alter table alerts
  add column shard smallint not null default 0,
  add column change_id text not null default '',
  add column format text not null default 'json',
  add column headers jsonb not null default '{}';
alter table alerts alter column shard drop default, alter column change_id drop default, alter column format drop default;
drop index alerts_pending_idx;
create index alerts_due_idx on alerts (shard, next_attempt_at) where status = 'pending';
create unique index alerts_change_uq on alerts (change_id, event, channel, md5(target));
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
drop index if exists alerts_change_uq;
drop index if exists alerts_due_idx;
create index alerts_pending_idx on alerts (next_attempt_at) where status = 'pending';
alter table alerts drop column shard, drop column change_id, drop column format, drop column headers;
drop table if exists flips;
alter table pings drop column exit_status, drop column duration_ms;
alter table jobs drop column webhook_headers;
alter table schedules drop column webhook_url, drop column webhook_headers, drop column alert_policy, drop column alert_after_failures,
  drop column alert_reminder_seconds, drop column alert_webhook_format, drop column failure_streak;
drop index if exists monitors_due_idx;
create index monitors_due_idx on monitors (shard, next_deadline_at) where status = 'up';
alter table monitors drop column alert_policy, drop column alert_after_failures, drop column alert_reminder_seconds,
  drop column alert_webhook_format, drop column failure_streak, drop column status_changed_at, drop column revision;
drop index if exists projects_ping_key_uq;
alter table projects drop column notify_email, drop column notify_webhook_url, drop column notify_webhook_format, drop column ping_key;
`);
  }
}
