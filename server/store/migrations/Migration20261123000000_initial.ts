import { Migration } from '@mikro-orm/migrations';

/**
 * Initial schema. Landed migrations are never edited: change the schema with a new one.
 *
 * Hot-path indexes:
 * - `(shard, next_run_at)` on schedules, `(shard, next_attempt_at)` on jobs and
 *   `(shard, next_deadline_at)` on monitors: the timer's refill query per leased shard.
 * - `UNIQUE (schedule_id, scheduled_at) WHERE source = 'schedule'`: a tick becomes at most one
 *   job whoever fires it (manual triggers are outside it).
 */
export class Migration20261123000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table accounts (
  id text primary key,
  email text null,
  name text not null,
  created_at timestamptz not null default now()
);
create unique index accounts_email_uq on accounts (lower(email)) where email is not null;

create table projects (
  id text primary key,
  account_id text not null references accounts (id) on delete cascade,
  name text not null,
  signing_secret text not null,
  previous_signing_secret text null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index projects_account_idx on projects (account_id, id);

create table api_keys (
  id text primary key,
  account_id text not null references accounts (id) on delete cascade,
  project_id text null references projects (id) on delete cascade,
  name text not null,
  prefix text not null,
  secret_hash text not null,
  scopes jsonb not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz null,
  revoked_at timestamptz null
);
create unique index api_keys_secret_hash_uq on api_keys (secret_hash);
create index api_keys_account_idx on api_keys (account_id, id);

create table schedules (
  id text primary key,
  project_id text not null references projects (id) on delete cascade,
  shard smallint not null,
  key text null,
  name text not null,
  description text null,
  url text not null,
  method text not null,
  headers jsonb not null default '{}',
  body text null,
  cron text null,
  timezone text not null default 'UTC',
  interval_seconds integer null,
  timeout_ms integer not null,
  max_retries integer not null,
  retry_backoff_ms integer not null,
  retry_backoff_max_ms integer not null,
  expected_status jsonb not null default '[]',
  overlap text not null default 'allow',
  misfire text not null default 'fire_once',
  state text not null default 'active',
  next_run_at timestamptz null,
  last_run_at timestamptz null,
  last_status text null,
  alert_email text null,
  alert_webhook text null,
  alert_on_failure boolean not null default true,
  alert_on_recovery boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint schedules_trigger_ck check ((cron is null) <> (interval_seconds is null))
);
create unique index schedules_project_key_uq on schedules (project_id, key);
create index schedules_project_idx on schedules (project_id, id);
create index schedules_due_idx on schedules (shard, next_run_at) where state = 'active';

create table jobs (
  id text primary key,
  project_id text not null references projects (id) on delete cascade,
  schedule_id text null references schedules (id) on delete set null,
  shard smallint not null,
  source text not null,
  url text not null,
  method text not null,
  headers jsonb not null default '{}',
  body text null,
  scheduled_at timestamptz not null,
  timeout_ms integer not null,
  max_retries integer not null,
  retry_backoff_ms integer not null,
  retry_backoff_max_ms integer not null,
  expected_status jsonb not null default '[]',
  idempotency_key text null,
  webhook_url text null,
  status text not null,
  attempts integer not null default 0,
  next_attempt_at timestamptz null,
  lease_epoch bigint null,
  last_status_code integer null,
  last_error text null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz null
);
create unique index jobs_schedule_tick_uq on jobs (schedule_id, scheduled_at) where source = 'schedule';
create unique index jobs_project_idempotency_uq on jobs (project_id, idempotency_key);
create index jobs_project_idx on jobs (project_id, id);
create index jobs_schedule_idx on jobs (schedule_id, id);
create index jobs_due_idx on jobs (shard, next_attempt_at) where status in ('scheduled', 'running');

create table executions (
  id text primary key,
  job_id text not null references jobs (id) on delete cascade,
  project_id text not null references projects (id) on delete cascade,
  schedule_id text null,
  attempt integer not null,
  status text not null,
  status_code integer null,
  duration_ms integer not null,
  response_body text null,
  error text null,
  started_at timestamptz not null,
  finished_at timestamptz not null
);
create index executions_job_idx on executions (job_id, id);
create index executions_schedule_idx on executions (schedule_id, id) where schedule_id is not null;

create table monitors (
  id text primary key,
  project_id text not null references projects (id) on delete cascade,
  shard smallint not null,
  key text null,
  name text not null,
  period_seconds integer null,
  cron text null,
  timezone text not null default 'UTC',
  grace_seconds integer not null,
  status text not null default 'new',
  ping_token text not null,
  last_ping_at timestamptz null,
  last_start_at timestamptz null,
  ping_count bigint not null default 0,
  next_deadline_at timestamptz null,
  last_alert_at timestamptz null,
  alert_email text null,
  alert_webhook text null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint monitors_period_ck check ((cron is null) <> (period_seconds is null))
);
create unique index monitors_ping_token_uq on monitors (ping_token);
create unique index monitors_project_key_uq on monitors (project_id, key);
create index monitors_project_idx on monitors (project_id, id);
create index monitors_due_idx on monitors (shard, next_deadline_at) where status = 'up';

create table pings (
  id text primary key,
  monitor_id text not null references monitors (id) on delete cascade,
  kind text not null,
  received_at timestamptz not null,
  source_ip text null,
  user_agent text null,
  body text null
);
create index pings_monitor_idx on pings (monitor_id, id);

create table alerts (
  id text primary key,
  project_id text not null references projects (id) on delete cascade,
  event text not null,
  subject_type text not null,
  subject_id text not null,
  channel text not null,
  target text not null,
  payload jsonb not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text null,
  created_at timestamptz not null default now(),
  sent_at timestamptz null
);
create index alerts_pending_idx on alerts (next_attempt_at) where status = 'pending';
create index alerts_subject_idx on alerts (subject_id, id);

create table scheduler_nodes (
  id text primary key,
  hostname text not null,
  pid integer not null,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now()
);

create table shard_leases (
  shard smallint primary key,
  owner text null,
  epoch bigint not null default 0,
  expires_at timestamptz null
);
insert into shard_leases (shard) select g from generate_series(0, 255) as g;
`);
  }

  override async down(): Promise<void> {
    this.addSql(
      'drop table if exists shard_leases, scheduler_nodes, alerts, pings, monitors, executions, jobs, schedules, api_keys, projects, accounts cascade;',
    );
  }
}
