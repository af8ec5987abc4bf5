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

export interface AlertSettings {
  alertEmail: string | null;
  alertWebhook: string | null;
  /** Alert on a failed run (after the last retry). */
  alertOnFailure: boolean;
  /** Alert when a run succeeds after a failed one. */
  alertOnRecovery: boolean;
}

export interface Schedule extends HttpTarget, RetryPolicy, AlertSettings {
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
  createdAt: Date;
  updatedAt: Date;
}

export interface Job extends HttpTarget, RetryPolicy {
  id: string;
  projectId: string;
  scheduleId: string | null;
  shard: number;
  source: JobSource;
  scheduledAt: Date;
  idempotencyKey: string | null;
  /** Receives a `job.completed` / `job.failed` call when the job reaches a terminal state. */
  webhookUrl: string | null;
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

export interface Monitor {
  id: string;
  projectId: string;
  shard: number;
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
  alertEmail: string | null;
  alertWebhook: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Ping {
  id: string;
  monitorId: string;
  kind: PingKind;
  receivedAt: Date;
  sourceIp: string | null;
  userAgent: string | null;
  body: string | null;
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
