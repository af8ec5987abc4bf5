/**
 * Public types of `@tock/client`: the objects the API returns (dates as `Date`) and the inputs
 * it takes. They mirror the server's tRPC router exactly; a type test in the Tock repository
 * (test/e2e/trpc/wire-types.test.ts) fails when the two drift apart.
 */
import type { TockError } from './errors.js';

/** What an API key may do. `*` grants everything; `write:x` includes `read:x`. */
export type Scope = 'read:projects' | 'write:projects' | 'read:jobs' | 'write:jobs' | 'read:monitors' | 'write:monitors' | '*';

/** HTTP method of an outbound call. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

/** Whether a schedule fires. */
export type ScheduleState = 'active' | 'paused';
/** `forbid`: skip a tick while the previous run of the schedule is still going. */
export type Overlap = 'allow' | 'forbid';
/** What to do with ticks missed while Tock was down: run once on recovery, or skip them. */
export type Misfire = 'fire_once' | 'skip';
/** Life of a job: `scheduled` -> `running` -> `succeeded` | `failed`, or `cancelled` before it runs. */
export type JobStatus = 'scheduled' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/** How a job came to be: created directly, spawned by a schedule tick, or a manual trigger of a schedule. */
export type JobSource = 'api' | 'schedule' | 'manual';
/** Outcome of one HTTP attempt. */
export type ExecutionStatus = 'succeeded' | 'failed' | 'timeout' | 'refused' | 'skipped';
/** `new` until the first ping; `up` while pings arrive in time; `down` when late or failed. */
export type MonitorStatus = 'new' | 'up' | 'down' | 'paused';
/** `success` (the job ran), `start` (it started; not a heartbeat by itself), `fail` (it failed: the monitor goes down). */
export type PingKind = 'success' | 'start' | 'fail';
/**
 * When a failing monitor or schedule alerts: `on_change` (going from ok to failing, and back),
 * `every_failure`, or `after_failures` (the N-th failure in a row, N = `alertAfterFailures`).
 */
export type AlertPolicyMode = 'on_change' | 'every_failure' | 'after_failures';
/** Shape of webhook alert messages: `auto` picks Slack or Discord from the URL, else the JSON event. */
export type WebhookFormat = 'auto' | 'json' | 'slack' | 'discord';

/** Alert settings of a monitor or schedule. */
export interface AlertPolicySettings {
  alertPolicy: AlertPolicyMode;
  /** N of `after_failures`; null otherwise. */
  alertAfterFailures: number | null;
  /** Remind every X seconds while still failing; null: no reminders. */
  alertReminderSeconds: number | null;
  alertWebhookFormat: WebhookFormat;
}

/** Alert settings as inputs: absent fields keep their value (or the default on create). */
export interface AlertPolicyInput {
  alertPolicy?: AlertPolicyMode;
  alertAfterFailures?: number | null;
  alertReminderSeconds?: number | null;
  alertWebhookFormat?: WebhookFormat;
}

/** A recurring HTTP call: cron in a time zone, or every N seconds. Each tick spawns a Job. */
export interface Schedule extends AlertPolicySettings {
  id: string;
  projectId: string;
  /** Caller's own unique name inside the project; null if none. */
  key: string | null;
  name: string;
  description: string | null;
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body: string | null;
  /** Cron expression (5 fields, or 6 with seconds first); null for interval schedules. */
  cron: string | null;
  /** IANA time zone the cron expression is read in. */
  timezone: string;
  /** Interval between runs; null for cron schedules. */
  intervalSeconds: number | null;
  timeoutMs: number;
  maxRetries: number;
  /** Base of the exponential backoff between retries. */
  retryBackoffMs: number;
  /** Cap of one backoff delay. */
  retryBackoffMaxMs: number;
  /** Status codes that count as success; empty = any 2xx. */
  expectedStatus: number[];
  overlap: Overlap;
  misfire: Misfire;
  state: ScheduleState;
  /** Next tick; null while paused. */
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  /** Final status of the most recent finished job. */
  lastStatus: JobStatus | null;
  /** Failed runs in a row; 0 after a success. */
  failureStreak: number;
  alertEmail: string | null;
  alertWebhook: string | null;
  /** Alert on a failed run (after the last retry). */
  alertOnFailure: boolean;
  /** Alert when a run succeeds after a failed one. */
  alertOnRecovery: boolean;
  /** Inherited by every job the schedule spawns: receives the job's terminal state. */
  webhookUrl: string | null;
  webhookHeaders: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

/** One HTTP call due at `scheduledAt`: one-time, or spawned by a schedule. */
export interface Job {
  id: string;
  projectId: string;
  scheduleId: string | null;
  source: JobSource;
  /** Display name of a one-time job; null for a schedule's ticks. */
  name: string | null;
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body: string | null;
  scheduledAt: Date;
  timeoutMs: number;
  maxRetries: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  expectedStatus: number[];
  idempotencyKey: string | null;
  /** Receives a `job.completed` / `job.failed` / `job.cancelled` call when the job reaches a terminal state. */
  webhookUrl: string | null;
  /** Sent with that call. */
  webhookHeaders: Record<string, string>;
  status: JobStatus;
  attempts: number;
  /** When the next attempt is due; null once terminal. */
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** One HTTP attempt of a job. */
export interface Execution {
  id: string;
  jobId: string;
  projectId: string;
  scheduleId: string | null;
  /** 1 for the first attempt. */
  attempt: number;
  status: ExecutionStatus;
  statusCode: number | null;
  durationMs: number;
  /** The start of the response body, as far as Tock keeps it. */
  responseBody: string | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
}

/** A heartbeat check that expects pings within period (or cron) + grace. */
export interface Monitor extends AlertPolicySettings {
  id: string;
  projectId: string;
  /** The schedule this monitor is the heartbeat of (expected on its trigger, deleted with it); null for a monitor of its own. */
  scheduleId: string | null;
  key: string | null;
  name: string;
  periodSeconds: number | null;
  cron: string | null;
  timezone: string;
  graceSeconds: number;
  status: MonitorStatus;
  /** Where the watched job pings (no key needed: the URL is the credential). Use with `ping()`. */
  pingUrl: string;
  lastPingAt: Date | null;
  lastStartAt: Date | null;
  pingCount: number;
  /** When the monitor goes down if no ping arrives. */
  nextDeadlineAt: Date | null;
  lastAlertAt: Date | null;
  /** Failures in a row (fail pings, missed deadlines); 0 after a success. */
  failureStreak: number;
  /** When `status` last changed. */
  statusChangedAt: Date | null;
  alertEmail: string | null;
  alertWebhook: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The tenant boundary: every schedule, job and monitor belongs to one project. */
export interface Project {
  id: string;
  accountId: string;
  name: string;
  /** The address of what the project is about (a web site); informational, Tock never calls it. */
  url: string | null;
  /** Project notifications: every schedule, job and monitor of the project also alerts these. */
  notifyEmail: string | null;
  notifyWebhookUrl: string | null;
  notifyWebhookFormat: WebhookFormat;
  /** Days executions, pings and sent alerts are kept (0: forever); null: the server's TOCK_RETENTION_DAYS. */
  retentionDays: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** An API key of the account. The secret itself is only returned once, by `projects.createKey`. */
export interface ApiKey {
  id: string;
  accountId: string;
  /** null: the key reaches every project of its account. */
  projectId: string | null;
  name: string;
  /** The first characters of the secret, to tell keys apart. */
  prefix: string;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/**
 * A project's Standard Webhooks signing secrets (`whsec_...`), for `verifyWebhook`. While a
 * rotation overlaps, Tock's calls carry a signature by each, so a receiver can accept either.
 */
export interface SigningSecrets {
  /** The secret new calls are signed with. */
  current: string;
  /** The secret before the last rotation, still signing alongside; null when none. */
  previous: string | null;
}

/** Options of `projects.rotateSigningSecret`. */
export interface RotateSigningSecretOptions {
  /** true (the default): the old secret keeps signing alongside the new one until the next rotation; false: drop it at once. */
  keepPrevious?: boolean;
}

/** A new key and its secret (shown only here). */
export interface CreatedKey {
  key: ApiKey;
  secret: string;
}

/** One page of a list. `nextPageToken` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextPageToken: string | null;
}

/** Which page of a list to get. */
export interface PageRequest {
  /** 0 or absent: the server default (50); larger values are capped by the server (200). */
  pageSize?: number | null;
  /** `nextPageToken` of the previous page, unchanged; absent for the first page. */
  pageToken?: string | null;
}

/** Filter of `schedules.list` / `schedules.iterate`. */
export interface ScheduleListRequest extends PageRequest {
  /** Only `active` or only `paused` schedules; absent: both. */
  state?: ScheduleState | null;
}

/** Filters of `jobs.list` / `jobs.iterate`. */
export interface JobListRequest extends PageRequest {
  status?: JobStatus | null;
  scheduleId?: string | null;
}

/** Options of the `iterate*` helpers. */
export interface IterateOptions {
  /** Items fetched per request. */
  pageSize?: number;
}

/**
 * A new schedule. Set exactly one of `cron` and `intervalSeconds`. Defaults: method POST,
 * timezone UTC, timeout 30 s, no retries, overlap `allow`, misfire `fire_once`, state `active`.
 */
export interface ScheduleInput extends AlertPolicyInput {
  key?: string | null;
  name?: string;
  description?: string | null;
  url: string;
  /** Case-insensitive. */
  method?: HttpMethod | Lowercase<HttpMethod>;
  headers?: Record<string, string>;
  body?: string | null;
  cron?: string | null;
  timezone?: string | null;
  intervalSeconds?: number | null;
  timeoutMs?: number;
  maxRetries?: number;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  expectedStatus?: number[];
  overlap?: Overlap;
  misfire?: Misfire;
  state?: ScheduleState;
  alertEmail?: string | null;
  alertWebhook?: string | null;
  alertOnFailure?: boolean;
  alertOnRecovery?: boolean;
  /** Inherited by the jobs the schedule spawns. */
  webhookUrl?: string | null;
  webhookHeaders?: Record<string, string>;
}

/**
 * Changes to a schedule: absent fields stay unchanged, `null` clears a nullable field. Setting
 * `cron` clears `intervalSeconds` and the reverse.
 */
export type SchedulePatch = Partial<ScheduleInput>;

/** A one-time job. */
export interface JobInput {
  /** Display name (at most 200 characters). */
  name?: string | null;
  url: string;
  /** Case-insensitive; default POST. */
  method?: HttpMethod | Lowercase<HttpMethod>;
  headers?: Record<string, string>;
  body?: string | null;
  /** When to run (a Date, an RFC 3339 string or epoch milliseconds); absent: now. */
  scheduledAt?: Date | string | number | null;
  timeoutMs?: number;
  maxRetries?: number;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  expectedStatus?: number[];
  /** Creating again with the same key and the same call returns the first job; a different call fails with ConflictError. */
  idempotencyKey?: string | null;
  webhookUrl?: string | null;
  webhookHeaders?: Record<string, string>;
}

/**
 * What `jobs.createMany` did with one input, at its `index`: the job (`created: false` when its
 * idempotency key returned an earlier job), or the error that input alone would have thrown.
 */
export type JobBatchResult =
  | { index: number; job: Job; created: boolean; error: null }
  | { index: number; job: null; created: false; error: TockError };

/** A new monitor. Set exactly one of `periodSeconds` and `cron`. Default grace: 60 s. */
export interface MonitorInput extends AlertPolicyInput {
  key?: string | null;
  name?: string;
  periodSeconds?: number | null;
  cron?: string | null;
  timezone?: string | null;
  graceSeconds?: number;
  alertEmail?: string | null;
  alertWebhook?: string | null;
}

/** Changes to a monitor: absent fields stay unchanged, `null` clears a nullable field. */
export type MonitorPatch = MonitorInput;

/** A new project of the calling key's account. */
export interface ProjectInput {
  name: string;
  url?: string | null;
  notifyEmail?: string | null;
  notifyWebhookUrl?: string | null;
  notifyWebhookFormat?: WebhookFormat;
  /** Days executions, pings and sent alerts are kept (0: forever); null: the server default. */
  retentionDays?: number | null;
}

/** Changes to a project; absent fields stay unchanged, `null` clears a notification. */
export interface ProjectPatch {
  name?: string;
  url?: string | null;
  notifyEmail?: string | null;
  notifyWebhookUrl?: string | null;
  notifyWebhookFormat?: WebhookFormat;
  /** Days executions, pings and sent alerts are kept (0: forever); null: the server default. */
  retentionDays?: number | null;
}

/** A new API key: it can only get scopes (and a project limit) the calling key has. */
export interface KeyInput {
  name?: string;
  /** Limit the key to one project; absent: every project of the account (if the calling key has that reach). */
  projectId?: string | null;
  /** Absent or empty: `['*']`, which only a key with `*` can grant. */
  scopes?: Scope[] | null;
}

/** One entry of a monitor's ping log (the newest are kept). */
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
  subjectType: FlipSubject;
  subjectId: string;
  /** null: the subject's first status (a schedule's first run). */
  fromStatus: string | null;
  toStatus: string;
  reason: FlipReason;
  at: Date;
}

/** Options of `monitors.recordPing`. */
export interface RecordPingOptions {
  /** Kept with the ping (e.g. the tail of a log); the server may truncate it. */
  body?: string;
  /** The job's exit status 0-255: 0 is a success, anything else a fail (the kind is then ignored). */
  exitStatus?: number;
}

export type AlertEvent = 'job.failed' | 'job.timeout' | 'job.recovered' | 'job.completed' | 'job.cancelled' | 'monitor.down' | 'monitor.up';
export type AlertSubject = 'monitor' | 'schedule' | 'job';

/** One event for one channel, retried until delivered or given up. */
export interface Alert {
  id: string;
  event: AlertEvent;
  subjectType: AlertSubject;
  subjectId: string;
  /** What caused it (a flip, a ping, a finished job): one alert per change and channel. */
  changeId: string;
  channel: 'email' | 'webhook';
  /** Email address or webhook URL. */
  target: string;
  format: 'json' | 'slack' | 'discord' | 'job' | 'email';
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** A schedule in a sync document: a schedule input matched by its `key`. */
export interface SyncScheduleEntry extends ScheduleInput {
  key: string;
}

/** A monitor in a sync document: a monitor input matched by its `key`. */
export interface SyncMonitorEntry extends MonitorInput {
  key: string;
}

/** A one-time job in a sync document, matched by its idempotency key: created once, never changed or pruned. */
export interface SyncJobEntry extends JobInput {
  idempotencyKey: string;
}

/**
 * The desired schedules, monitors and one-time jobs of one project (what `tock sync <file>`
 * reads; its JSON Schema is `docs/tock-sync.schema.json` in the Tock repository). A kind left
 * out is not managed at all; a kind given as `[]` is (and with `prune` loses every keyed object).
 */
export interface SyncDocument {
  /** Ignored by the server; lets an editor find the JSON Schema. */
  $schema?: string;
  schedules?: SyncScheduleEntry[];
  monitors?: SyncMonitorEntry[];
  jobs?: SyncJobEntry[];
  /** The project's notification channels. Left out: the project is not touched. Given: each setting it leaves out is cleared. */
  project?: SyncProjectSettings;
}

/** The project part of a sync document. */
export interface SyncProjectSettings {
  notifyEmail?: string | null;
  notifyWebhookUrl?: string | null;
  notifyWebhookFormat?: WebhookFormat;
  /** Days executions, pings and sent alerts are kept (0: forever); null: the server default. */
  retentionDays?: number | null;
}

/** Kinds of object a sync manages. */
export type SyncKindName = 'schedules' | 'monitors' | 'jobs';

/** An entry of a sync report, by the value it is matched by. */
export interface SyncKeyed {
  key: string;
}

/** A stored object a sync matched. */
export interface SyncExisting extends SyncKeyed {
  id: string;
}

/** A value as JSON carries it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A changed field: its stored value and the value the document makes it, as JSON (dates as ISO-8601 strings). */
export interface FieldChange {
  from: JsonValue;
  to: JsonValue;
}

/** A stored object the sync changes, with each changed field (e.g. `{ cron: { from: '0 6 * * *', to: '30 6 * * *' } }`). */
export interface SyncChanged extends SyncExisting {
  changes: Record<string, FieldChange>;
}

/** What a sync does to one kind. Entries keep the document's order; deletions the stored order. */
export interface SyncKindReport<Created extends SyncKeyed = SyncKeyed> {
  created: Created[];
  updated: SyncChanged[];
  deleted: SyncExisting[];
  unchanged: SyncExisting[];
}

/** A dry run: what `sync.apply` would do now. */
export type SyncPlan = Record<SyncKindName, SyncKindReport>;

/** What `sync.apply` did, and the object of every entry after it, in the document's order. */
export interface SyncResult {
  schedules: SyncKindReport<SyncExisting> & { objects: Schedule[] };
  monitors: SyncKindReport<SyncExisting> & { objects: Monitor[] };
  jobs: SyncKindReport<SyncExisting> & { objects: Job[] };
}

/** Progress of `sync.apply`: writes finished so far of the writes it makes (unchanged objects cost none). */
export interface SyncProgress {
  done: number;
  total: number;
}

/** Options of `sync.plan`. */
export interface SyncPlanOptions {
  /** Also delete keyed schedules and monitors the document no longer names. */
  prune?: boolean;
}

/** Options of `sync.apply`. */
export interface SyncApplyOptions extends SyncPlanOptions {
  /** Called as writes finish (not for every write when they finish faster than the network carries them). */
  onProgress?: (progress: SyncProgress) => void;
}
