import type { Alert, ApiKey, Execution, Flip, Job, Monitor, Ping, Project, Schedule } from '../../core/types.js';

/**
 * The public view of each resource: every field a caller of any surface may see, said once.
 * Internal fields stay home (a row's `shard`, a monitor's bare `pingToken`, store columns such
 * as a job's dispatch mark): each view copies its fields by name, so a column added to the store
 * never reaches a wire by accident. Times stay Dates and absent values stay null; each codec
 * renders them its own way (a proto Timestamp, an ISO string, a dialect's own format).
 *
 * A codec is a field map over these views: the gRPC codec copies them by proto field name, tRPC
 * sends them with ISO dates, and a REST dialect renames (and reshapes) what its document shows.
 */

export type ScheduleView = Omit<Schedule, 'shard'>;
export type JobView = Omit<Job, 'shard'>;
export type ExecutionView = Execution;
/** A monitor with the full URL to ping it, instead of its bare token. */
export type MonitorView = Omit<Monitor, 'shard' | 'pingToken'> & { pingUrl: string };
/** A project (its signing secrets are only shown on their own, on request). */
export type ProjectView = Project;
/** An API key (never its secret or its hash). */
export type KeyView = ApiKey;

export function scheduleView(s: Schedule): ScheduleView {
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
    nextRunAt: s.nextRunAt,
    lastRunAt: s.lastRunAt,
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
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

export function jobView(j: Job): JobView {
  return {
    id: j.id,
    projectId: j.projectId,
    scheduleId: j.scheduleId,
    source: j.source,
    name: j.name,
    url: j.url,
    method: j.method,
    headers: j.headers,
    body: j.body,
    scheduledAt: j.scheduledAt,
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
    nextAttemptAt: j.nextAttemptAt,
    lastStatusCode: j.lastStatusCode,
    lastError: j.lastError,
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
    finishedAt: j.finishedAt,
  };
}

export function executionView(e: Execution): ExecutionView {
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
    startedAt: e.startedAt,
    finishedAt: e.finishedAt,
  };
}

/** `pingUrl` is the core's (`core.monitors.pingUrl(m)`): only the core knows the public URL. */
export function monitorView(m: Monitor, pingUrl: string): MonitorView {
  return {
    id: m.id,
    projectId: m.projectId,
    scheduleId: m.scheduleId,
    key: m.key,
    name: m.name,
    periodSeconds: m.periodSeconds,
    cron: m.cron,
    timezone: m.timezone,
    graceSeconds: m.graceSeconds,
    status: m.status,
    pingUrl,
    lastPingAt: m.lastPingAt,
    lastStartAt: m.lastStartAt,
    pingCount: Number(m.pingCount),
    nextDeadlineAt: m.nextDeadlineAt,
    lastAlertAt: m.lastAlertAt,
    failureStreak: m.failureStreak,
    statusChangedAt: m.statusChangedAt,
    alertEmail: m.alertEmail,
    alertWebhook: m.alertWebhook,
    alertWebhookFormat: m.alertWebhookFormat,
    alertPolicy: m.alertPolicy,
    alertAfterFailures: m.alertAfterFailures,
    alertReminderSeconds: m.alertReminderSeconds,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

export function projectView(p: Project): ProjectView {
  return {
    id: p.id,
    accountId: p.accountId,
    name: p.name,
    url: p.url,
    notifyEmail: p.notifyEmail,
    notifyWebhookUrl: p.notifyWebhookUrl,
    notifyWebhookFormat: p.notifyWebhookFormat,
    retentionDays: p.retentionDays,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export function keyView(k: ApiKey): KeyView {
  return {
    id: k.id,
    accountId: k.accountId,
    projectId: k.projectId,
    name: k.name,
    prefix: k.prefix,
    scopes: [...k.scopes],
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
  };
}

export type PingView = Ping;
export type FlipView = Omit<Flip, 'projectId'>;

/** One entry of a monitor's ping log. */
export function pingView(p: Ping): PingView {
  return {
    id: p.id,
    monitorId: p.monitorId,
    kind: p.kind,
    exitStatus: p.exitStatus,
    durationMs: p.durationMs,
    receivedAt: p.receivedAt,
    sourceIp: p.sourceIp,
    userAgent: p.userAgent,
    body: p.body,
  };
}

/** One status change of a monitor or schedule. */
export function flipView(f: Flip): FlipView {
  return { id: f.id, subjectType: f.subjectType, subjectId: f.subjectId, fromStatus: f.fromStatus, toStatus: f.toStatus, reason: f.reason, at: f.at };
}

/** An alert as listed: where it goes and how delivery went; the message itself stays in the outbox. */
export type AlertView = Omit<Alert, 'projectId' | 'shard' | 'payload'>;

export function alertView(a: Alert): AlertView {
  return {
    id: a.id,
    event: a.event,
    subjectType: a.subjectType,
    subjectId: a.subjectId,
    changeId: a.changeId,
    channel: a.channel,
    target: a.target,
    format: a.format,
    status: a.status,
    attempts: a.attempts,
    nextAttemptAt: a.nextAttemptAt,
    lastError: a.lastError,
    createdAt: a.createdAt,
    sentAt: a.sentAt,
  };
}
