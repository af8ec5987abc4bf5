/**
 * Domain types. Every surface (gRPC, tRPC, the REST dialects) is a translation of these.
 *
 * Glossary
 * - Account: an owner of projects and keys.
 * - Project: the tenant boundary. Every schedule, job and monitor belongs to one; an id from
 *   another project answers "not found".
 * - Key: an API key of an account, optionally limited to one project, with scopes.
 * - Schedule: a recurring HTTP call (cron in a time zone, or every N seconds). Each
 *   occurrence ("tick") spawns a Job.
 * - Job: one HTTP call due at `scheduledAt`; one-time, or spawned by a schedule. A tick of a
 *   schedule becomes at most one job: `(scheduleId, scheduledAt)` is unique.
 * - Execution: one HTTP attempt of a job.
 * - Monitor: a heartbeat check that expects pings within period + grace.
 * - Flip: one change of a monitor's status (or a schedule's health), kept whether or not anyone
 *   was alerted.
 * - Alert: one event (a monitor going down, a job failing ...) to deliver to one channel; an
 *   outbox row written in the same transaction as the change that caused it.
 * - Shard: `shardOf(id)` in [0, 256); the unit the timer leases to nodes.
 */

export const SCOPES = [
  'read:projects',
  'write:projects',
  'read:jobs',
  'write:jobs',
  'read:monitors',
  'write:monitors',
  '*',
] as const;
export type Scope = (typeof SCOPES)[number];

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type ScheduleState = 'active' | 'paused';
export type Overlap = 'allow' | 'forbid';
export type Misfire = 'fire_once' | 'skip';
export type JobStatus = 'scheduled' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/** How a job came to be: created directly, spawned by a schedule tick, or a manual trigger of a schedule. */
export type JobSource = 'api' | 'schedule' | 'manual';
export type ExecutionStatus = 'succeeded' | 'failed' | 'timeout' | 'refused' | 'skipped';
export type MonitorStatus = 'new' | 'up' | 'down' | 'paused';
export type PingKind = 'success' | 'start' | 'fail';

/**
 * When a failing monitor or schedule alerts: `on_change` when it goes from ok to failing (and
 * back), `every_failure` on each failure, `after_failures` once `alertAfterFailures` failures
 * happened in a row. A recovery is alerted when the failures had reached the alerting point.
 */
export const ALERT_POLICIES = ['on_change', 'every_failure', 'after_failures'] as const;
export type AlertPolicyMode = (typeof ALERT_POLICIES)[number];
/** How a webhook channel's message is shaped; `auto` picks Slack or Discord from the URL, else `json`. */
export const WEBHOOK_FORMATS = ['auto', 'json', 'slack', 'discord'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface AlertPolicy {
  alertPolicy: AlertPolicyMode;
  /** The N of `after_failures`; null otherwise. */
  alertAfterFailures: number | null;
  /** Remind every X seconds while still failing; null: no reminders. */
  alertReminderSeconds: number | null;
}

export interface Account {
  id: string;
  email: string | null;
  name: string;
  createdAt: Date;
}

export interface Project {
  id: string;
  accountId: string;
  name: string;
  /** The address of what the project is about (a web site); informational, never called. */
  url: string | null;
  /** Project-wide alert channels: every schedule, job and monitor of the project alerts here too. */
  notifyEmail: string | null;
  notifyWebhookUrl: string | null;
  notifyWebhookFormat: WebhookFormat;
  /** Days executions, pings and sent alerts are kept (0: forever); null: the server's TOCK_RETENTION_DAYS. */
  retentionDays: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ApiKey {
  id: string;
  accountId: string;
  /** null: the key reaches every project of its account. */
  projectId: string | null;
  name: string;
  /** The first characters of the secret, to tell keys apart in lists. */
  prefix: string;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Who is calling, after the key was checked and the project chosen. */
export interface Actor {
  accountId: string;
  keyId: string;
  projectId: string;
  scopes: readonly Scope[];
}

/** An authenticated key before a project is chosen. */
export interface Principal {
  accountId: string;
  keyId: string;
  keyProjectId: string | null;
  scopes: readonly Scope[];
}

export interface HttpTarget {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body: string | null;
}

export interface RetryPolicy {
  timeoutMs: number;
  maxRetries: number;
  /** Base of the exponential backoff with full jitter. */
  retryBackoffMs: number;
  /** Cap of one backoff delay (and of a honoured Retry-After). */
  retryBackoffMaxMs: number;
  /** Status codes that count as success; empty = any 2xx. */
  expectedStatus: number[];
}

export interface AlertSettings extends AlertPolicy {
  alertEmail: string | null;
  alertWebhook: string | null;
  alertWebhookFormat: WebhookFormat;
  /** Alert on a failed run (after the last retry). */
  alertOnFailure: boolean;
  /** Alert when a run succeeds after a failed one. */
  alertOnRecovery: boolean;
}

/** Where a job's own terminal-state call (`job.completed`, `job.failed`, `job.cancelled`) goes. */
export interface JobWebhook {
  webhookUrl: string | null;
  /** Sent with the terminal-state call (e.g. a token of the receiver). */
  webhookHeaders: Record<string, string>;
}

export interface Schedule extends HttpTarget, RetryPolicy, AlertSettings, JobWebhook {
  id: string;
  projectId: string;
  shard: number;
  /** Caller's own unique name inside the project (used by declarative sync); null if none. */
  key: string | null;
  name: string;
  description: string | null;
  cron: string | null;
  timezone: string;
  intervalSeconds: number | null;
  overlap: Overlap;
  misfire: Misfire;
  state: ScheduleState;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  /** Final status of the most recent finished job. */
  lastStatus: JobStatus | null;
  /** Failed runs in a row (0 after a success). */
  failureStreak: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface Job extends HttpTarget, RetryPolicy, JobWebhook {
  id: string;
  projectId: string;
  scheduleId: string | null;
  shard: number;
  source: JobSource;
  /** Display name of a one-time job; null for the ticks of a schedule (the schedule has the name). */
  name: string | null;
  scheduledAt: Date;
  idempotencyKey: string | null;
  status: JobStatus;
  attempts: number;
  /** When the next attempt is due (the first attempt: `scheduledAt`); null once terminal. */
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface Execution {
  id: string;
  jobId: string;
  projectId: string;
  scheduleId: string | null;
  attempt: number;
  status: ExecutionStatus;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
}

export interface Monitor extends AlertPolicy {
  id: string;
  projectId: string;
  shard: number;
  /** The schedule this monitor is the heartbeat of (expected on its trigger, deleted with it); null for a monitor of its own. */
  scheduleId: string | null;
  key: string | null;
  name: string;
  periodSeconds: number | null;
  cron: string | null;
  timezone: string;
  graceSeconds: number;
  status: MonitorStatus;
  /** Secret part of the ping URL; knowing it is the permission to ping. */
  pingToken: string;
  lastPingAt: Date | null;
  lastStartAt: Date | null;
  pingCount: number;
  /** When the monitor is late if no ping arrives (period/cron + grace from the last ping). */
  nextDeadlineAt: Date | null;
  lastAlertAt: Date | null;
  /** Failures in a row (fail pings, missed deadlines); 0 after a success. */
  failureStreak: number;
  /** When `status` last changed. */
  statusChangedAt: Date | null;
  alertEmail: string | null;
  alertWebhook: string | null;
  alertWebhookFormat: WebhookFormat;
  createdAt: Date;
  updatedAt: Date;
}

export interface Ping {
  id: string;
  monitorId: string;
  kind: PingKind;
  /** The exit status the job reported (0 = success, 1-255 = fail); null when none was sent. */
  exitStatus: number | null;
  /** For a success or fail after a start: the time from the start to it. */
  durationMs: number | null;
  receivedAt: Date;
  sourceIp: string | null;
  userAgent: string | null;
  body: string | null;
}

export type FlipSubject = 'monitor' | 'schedule';
/** A schedule's health: `ok` until a run fails, `failing` until one succeeds. */
export type ScheduleHealth = 'ok' | 'failing';
export type FlipReason =
  | 'first_ping'
  | 'ping'
  | 'fail_ping'
  | 'exit_status'
  | 'missed_deadline'
  | 'late_start'
  | 'paused'
  | 'resumed'
  | 'run_failed'
  | 'run_timeout'
  | 'run_succeeded';

/** One status change of a monitor (new/up/down/paused) or of a schedule's health (ok/failing). */
export interface Flip {
  id: string;
  projectId: string;
  subjectType: FlipSubject;
  subjectId: string;
  /** null: the subject's first status (a schedule's first run). */
  fromStatus: string | null;
  toStatus: string;
  reason: FlipReason;
  at: Date;
}

export const ALERT_EVENTS = ['job.failed', 'job.timeout', 'job.recovered', 'job.completed', 'job.cancelled', 'monitor.down', 'monitor.up'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];
export type AlertSubject = 'monitor' | 'schedule' | 'job';
export type AlertChannel = 'email' | 'webhook';
/**
 * The message a channel gets: `json` (the documented Tock/Prikke event payload), `slack`,
 * `discord`, `job` (a job's own terminal-state payload, Fliq's shape) or `email`.
 */
export type AlertFormat = 'json' | 'slack' | 'discord' | 'job' | 'email';
export type AlertStatus = 'pending' | 'delivered' | 'failed';

/** One event for one channel (the outbox row), retried until delivered or given up. */
export interface Alert {
  id: string;
  projectId: string;
  /** The subject's shard: the node owning it delivers the alert. */
  shard: number;
  event: AlertEvent;
  subjectType: AlertSubject;
  subjectId: string;
  /** What caused it (a flip, a ping, a finished job, a missed deadline): one alert per change and channel. */
  changeId: string;
  channel: AlertChannel;
  /** Email address or webhook URL. */
  target: string;
  format: AlertFormat;
  payload: AlertPayload;
  status: AlertStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/**
 * What happened, as kept in the outbox: the facts every channel's message is made of. Dates
 * are ISO-8601 strings (it is stored as JSON).
 */
export type AlertPayload = JobAlertPayload | MonitorAlertPayload;

export interface JobAlertPayload {
  event: 'job.failed' | 'job.timeout' | 'job.recovered' | 'job.completed' | 'job.cancelled';
  at: string;
  /** A reminder that the subject is still failing (`alert_reminder_seconds`), repeating this alert's facts. */
  reminder?: boolean;
  /** Where a person can look at it. */
  link: string;
  job: {
    id: string;
    status: JobStatus;
    url: string;
    method: string;
    attempts: number;
    scheduledAt: string;
    finishedAt: string | null;
    lastStatusCode: number | null;
    lastError: string | null;
  };
  /** The schedule that spawned the job; null for a one-time job. */
  schedule: { id: string; key: string | null; name: string; failureStreak: number } | null;
  /** The last attempt; null when none ran (a cancel). */
  execution: {
    id: string;
    attempt: number;
    status: ExecutionStatus;
    statusCode: number | null;
    durationMs: number;
    startedAt: string;
    finishedAt: string;
    error: string | null;
  } | null;
}

export interface MonitorAlertPayload {
  event: 'monitor.down' | 'monitor.up';
  at: string;
  /** A reminder that the subject is still failing (`alert_reminder_seconds`), repeating this alert's facts. */
  reminder?: boolean;
  link: string;
  reason: FlipReason;
  monitor: {
    id: string;
    key: string | null;
    name: string;
    status: MonitorStatus;
    lastPingAt: string | null;
    /** The deadline that was missed (a late monitor), else null. */
    missedDeadlineAt: string | null;
    failureStreak: number;
  };
  /** The ping that caused it (a fail ping, the success that brought it back); null for a missed deadline. */
  ping: { kind: PingKind; exitStatus: number | null; receivedAt: string; body: string | null; durationMs: number | null } | null;
  /** What went wrong, in a line; null for a recovery. */
  error: string | null;
}

/** One page of a list. `nextPageToken` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextPageToken: string | null;
}

export interface PageRequest {
  pageSize?: number | null;
  pageToken?: string | null;
}

/**
 * The fields an update takes (every key of the patch type `P`), each with the value that clears
 * it: what a field gets when a replacement leaves it out, an update mask names it unset, or a
 * merge sets it to null. Surfaces translate their update styles through it (surfaces/shared/updates.ts).
 */
export type Updatable<P> = { readonly [K in keyof P]-?: P[K] };
