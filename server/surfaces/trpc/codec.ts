import type { Core } from '../../core/index.js';
import type { ApiKey, Execution, Job, Monitor, Page, Project, Schedule } from '../../core/types.js';

/**
 * Domain objects -> wire objects of the tRPC surface. Field names stay the domain's (camelCase);
 * Dates become ISO-8601 strings; internal fields (`shard`, a monitor's bare `pingToken`) stay
 * home; monitors gain their `pingUrl`. Every field is copied by name, so a column added to the
 * store never leaks onto the wire by accident.
 */

/** `T` with every Date field (nullable or not) as an ISO-8601 string. */
export type IsoDates<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

/** A schedule on the wire. */
export type WireSchedule = IsoDates<Omit<Schedule, 'shard'>>;
/** A job on the wire. */
export type WireJob = IsoDates<Omit<Job, 'shard'>>;
/** An execution on the wire. */
export type WireExecution = IsoDates<Execution>;
/** A monitor on the wire: no bare `pingToken`, but its full `pingUrl`. */
export type WireMonitor = IsoDates<Omit<Monitor, 'shard' | 'pingToken'> & { pingUrl: string }>;
/** A project on the wire (its signing secrets only through `projects.getSigningSecrets`). */
export type WireProject = IsoDates<Project>;
/** An API key on the wire (never its secret or hash). */
export type WireApiKey = IsoDates<ApiKey>;
/** A project's webhook signing secrets on the wire: `previous` is set while a rotation overlaps. */
export interface WireSigningSecrets {
  current: string;
  previous: string | null;
}
/** One page of a list on the wire. */
export interface WirePage<T> {
  items: T[];
  nextPageToken: string | null;
}

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** A page with each item encoded by `one`. */
export function page<T, W>(p: Page<T>, one: (item: T) => W): WirePage<W> {
  return { items: p.items.map(one), nextPageToken: p.nextPageToken };
}

/** Encodes a schedule. */
export function schedule(s: Schedule): WireSchedule {
  return {
    id: s.id,
    projectId: s.projectId,
    key: s.key,
    name: s.name,
    description: s.description,
    url: s.url,
    method: s.method,
    headers: s.headers,
    body: s.body,
    cron: s.cron,
    timezone: s.timezone,
    intervalSeconds: s.intervalSeconds,
    timeoutMs: s.timeoutMs,
    maxRetries: s.maxRetries,
    retryBackoffMs: s.retryBackoffMs,
    retryBackoffMaxMs: s.retryBackoffMaxMs,
    expectedStatus: s.expectedStatus,
    overlap: s.overlap,
    misfire: s.misfire,
    state: s.state,
    nextRunAt: isoOrNull(s.nextRunAt),
    lastRunAt: isoOrNull(s.lastRunAt),
    lastStatus: s.lastStatus,
    failureStreak: s.failureStreak,
    alertEmail: s.alertEmail,
    alertWebhook: s.alertWebhook,
    alertWebhookFormat: s.alertWebhookFormat,
    alertOnFailure: s.alertOnFailure,
    alertOnRecovery: s.alertOnRecovery,
    alertPolicy: s.alertPolicy,
    alertAfterFailures: s.alertAfterFailures,
    alertReminderSeconds: s.alertReminderSeconds,
    webhookUrl: s.webhookUrl,
    webhookHeaders: s.webhookHeaders,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}

/** Encodes a job. */
export function job(j: Job): WireJob {
  return {
    id: j.id,
    projectId: j.projectId,
    scheduleId: j.scheduleId,
    source: j.source,
    url: j.url,
    method: j.method,
    headers: j.headers,
    body: j.body,
    scheduledAt: iso(j.scheduledAt),
    timeoutMs: j.timeoutMs,
    maxRetries: j.maxRetries,
    retryBackoffMs: j.retryBackoffMs,
    retryBackoffMaxMs: j.retryBackoffMaxMs,
    expectedStatus: j.expectedStatus,
    idempotencyKey: j.idempotencyKey,
    webhookUrl: j.webhookUrl,
    webhookHeaders: j.webhookHeaders,
    status: j.status,
    attempts: j.attempts,
    nextAttemptAt: isoOrNull(j.nextAttemptAt),
    lastStatusCode: j.lastStatusCode,
    lastError: j.lastError,
    createdAt: iso(j.createdAt),
    updatedAt: iso(j.updatedAt),
    finishedAt: isoOrNull(j.finishedAt),
  };
}

/** Encodes an execution. */
export function execution(e: Execution): WireExecution {
  return {
    id: e.id,
    jobId: e.jobId,
    projectId: e.projectId,
    scheduleId: e.scheduleId,
    attempt: e.attempt,
    status: e.status,
    statusCode: e.statusCode,
    durationMs: e.durationMs,
    responseBody: e.responseBody,
    error: e.error,
    startedAt: iso(e.startedAt),
    finishedAt: iso(e.finishedAt),
  };
}

/** Encodes a monitor, with the ping URL the core builds from its token. */
export function monitor(core: Core, m: Monitor): WireMonitor {
  return {
    id: m.id,
    projectId: m.projectId,
    key: m.key,
    name: m.name,
    periodSeconds: m.periodSeconds,
    cron: m.cron,
    timezone: m.timezone,
    graceSeconds: m.graceSeconds,
    status: m.status,
    pingUrl: core.monitors.pingUrl(m),
    lastPingAt: isoOrNull(m.lastPingAt),
    lastStartAt: isoOrNull(m.lastStartAt),
    pingCount: Number(m.pingCount),
    nextDeadlineAt: isoOrNull(m.nextDeadlineAt),
    lastAlertAt: isoOrNull(m.lastAlertAt),
    failureStreak: m.failureStreak,
    statusChangedAt: isoOrNull(m.statusChangedAt),
    alertEmail: m.alertEmail,
    alertWebhook: m.alertWebhook,
    alertWebhookFormat: m.alertWebhookFormat,
    alertPolicy: m.alertPolicy,
    alertAfterFailures: m.alertAfterFailures,
    alertReminderSeconds: m.alertReminderSeconds,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

/** Encodes a project. */
export function project(p: Project): WireProject {
  return {
    id: p.id,
    accountId: p.accountId,
    name: p.name,
    notifyEmail: p.notifyEmail,
    notifyWebhookUrl: p.notifyWebhookUrl,
    notifyWebhookFormat: p.notifyWebhookFormat,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

/** Encodes an API key. */
export function apiKey(k: ApiKey): WireApiKey {
  return {
    id: k.id,
    accountId: k.accountId,
    projectId: k.projectId,
    name: k.name,
    prefix: k.prefix,
    scopes: [...k.scopes],
    createdAt: iso(k.createdAt),
    lastUsedAt: isoOrNull(k.lastUsedAt),
    revokedAt: isoOrNull(k.revokedAt),
  };
}
