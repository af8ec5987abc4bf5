import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { Account, Alert, ApiKey, Execution, Flip, Job, Monitor, Ping, Project, Schedule } from '../core/types.js';

/**
 * MikroORM entities. Each maps one table of the initial migration onto the domain type of the
 * same name (columns are the snake_case of the properties), so rows read through the ORM are
 * the domain objects. The timer's hot path bypasses the ORM with raw SQL on the same tables.
 */

const text = { type: 'string', columnType: 'text' } as const;
const nullableText = { type: 'string', columnType: 'text', nullable: true } as const;
const int = { type: 'integer' } as const;
const nullableInt = { type: 'integer', nullable: true } as const;
const ts = { type: 'Date', columnType: 'timestamptz' } as const;
const nullableTs = { type: 'Date', columnType: 'timestamptz', nullable: true } as const;
const json = { type: 'json', columnType: 'jsonb' } as const;
const shard = { type: 'smallint', columnType: 'smallint' } as const;

export interface ProjectRow extends Project {
  signingSecret: string;
  previousSigningSecret: string | null;
  /** Credential of `/ping/<ping key>/<monitor key>`; null until first asked for (projects made before it existed). */
  pingKey: string | null;
}

/** A monitor row: the domain object plus its write revision (see Migration20261201000000_monitor_alerts). */
export interface MonitorRow extends Monitor {
  revision: number;
}

/** An outbox row: the alert plus the headers its webhook is sent with (a job's `webhook_headers`). */
export interface AlertRow extends Alert {
  headers: Record<string, string>;
}

export interface ApiKeyRow extends ApiKey {
  secretHash: string;
}

export const AccountEntity = new EntitySchema<Account>({
  name: 'Account',
  tableName: 'accounts',
  properties: {
    id: { ...text, primary: true },
    email: nullableText,
    name: text,
    createdAt: ts,
  },
});

export const ProjectEntity = new EntitySchema<ProjectRow>({
  name: 'Project',
  tableName: 'projects',
  properties: {
    id: { ...text, primary: true },
    accountId: text,
    name: text,
    url: nullableText,
    signingSecret: text,
    previousSigningSecret: nullableText,
    notifyEmail: nullableText,
    notifyWebhookUrl: nullableText,
    notifyWebhookFormat: text,
    retentionDays: nullableInt,
    pingKey: nullableText,
    createdAt: ts,
    updatedAt: ts,
  },
});

export const ApiKeyEntity = new EntitySchema<ApiKeyRow>({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: { ...text, primary: true },
    accountId: text,
    projectId: nullableText,
    name: text,
    prefix: text,
    secretHash: text,
    scopes: json,
    createdAt: ts,
    lastUsedAt: nullableTs,
    revokedAt: nullableTs,
  },
});

export const ScheduleEntity = new EntitySchema<Schedule>({
  name: 'Schedule',
  tableName: 'schedules',
  properties: {
    id: { ...text, primary: true },
    projectId: text,
    shard,
    key: nullableText,
    name: text,
    description: nullableText,
    url: text,
    method: text,
    headers: json,
    body: nullableText,
    cron: nullableText,
    timezone: text,
    intervalSeconds: nullableInt,
    timeoutMs: int,
    maxRetries: int,
    retryBackoffMs: int,
    retryBackoffMaxMs: int,
    expectedStatus: json,
    overlap: text,
    misfire: text,
    state: text,
    nextRunAt: nullableTs,
    lastRunAt: nullableTs,
    lastStatus: nullableText,
    failureStreak: int,
    alertEmail: nullableText,
    alertWebhook: nullableText,
    alertWebhookFormat: text,
    alertOnFailure: { type: 'boolean' },
    alertOnRecovery: { type: 'boolean' },
    alertPolicy: text,
    alertAfterFailures: nullableInt,
    alertReminderSeconds: nullableInt,
    webhookUrl: nullableText,
    webhookHeaders: json,
    createdAt: ts,
    updatedAt: ts,
  },
});

export const JobEntity = new EntitySchema<Job>({
  name: 'Job',
  tableName: 'jobs',
  properties: {
    id: { ...text, primary: true },
    projectId: text,
    scheduleId: nullableText,
    shard,
    source: text,
    name: nullableText,
    url: text,
    method: text,
    headers: json,
    body: nullableText,
    scheduledAt: ts,
    timeoutMs: int,
    maxRetries: int,
    retryBackoffMs: int,
    retryBackoffMaxMs: int,
    expectedStatus: json,
    idempotencyKey: nullableText,
    webhookUrl: nullableText,
    webhookHeaders: json,
    status: text,
    attempts: int,
    nextAttemptAt: nullableTs,
    lastStatusCode: nullableInt,
    lastError: nullableText,
    createdAt: ts,
    updatedAt: ts,
    finishedAt: nullableTs,
  },
});

export const ExecutionEntity = new EntitySchema<Execution>({
  name: 'Execution',
  tableName: 'executions',
  properties: {
    id: { ...text, primary: true },
    jobId: text,
    projectId: text,
    scheduleId: nullableText,
    attempt: int,
    status: text,
    statusCode: nullableInt,
    durationMs: int,
    responseBody: nullableText,
    error: nullableText,
    startedAt: ts,
    finishedAt: ts,
  },
});

export const MonitorEntity = new EntitySchema<MonitorRow>({
  name: 'Monitor',
  tableName: 'monitors',
  properties: {
    id: { ...text, primary: true },
    projectId: text,
    shard,
    scheduleId: nullableText,
    key: nullableText,
    name: text,
    periodSeconds: nullableInt,
    cron: nullableText,
    timezone: text,
    graceSeconds: int,
    status: text,
    pingToken: text,
    lastPingAt: nullableTs,
    lastStartAt: nullableTs,
    pingCount: { type: new BigIntType('number'), columnType: 'bigint' },
    nextDeadlineAt: nullableTs,
    lastAlertAt: nullableTs,
    failureStreak: int,
    statusChangedAt: nullableTs,
    alertPolicy: text,
    alertAfterFailures: nullableInt,
    alertReminderSeconds: nullableInt,
    alertEmail: nullableText,
    alertWebhook: nullableText,
    alertWebhookFormat: text,
    revision: { type: new BigIntType('number'), columnType: 'bigint' },
    createdAt: ts,
    updatedAt: ts,
  },
});

export const PingEntity = new EntitySchema<Ping>({
  name: 'Ping',
  tableName: 'pings',
  properties: {
    id: { ...text, primary: true },
    monitorId: text,
    kind: text,
    exitStatus: { type: 'smallint', columnType: 'smallint', nullable: true },
    durationMs: nullableInt,
    receivedAt: ts,
    sourceIp: nullableText,
    userAgent: nullableText,
    body: nullableText,
  },
});

export const AlertEntity = new EntitySchema<AlertRow>({
  name: 'Alert',
  tableName: 'alerts',
  properties: {
    id: { ...text, primary: true },
    projectId: text,
    shard,
    event: text,
    subjectType: text,
    subjectId: text,
    changeId: text,
    channel: text,
    target: text,
    format: text,
    headers: json,
    payload: json,
    status: text,
    attempts: int,
    nextAttemptAt: ts,
    lastError: nullableText,
    createdAt: ts,
    sentAt: nullableTs,
  },
});

export const FlipEntity = new EntitySchema<Flip>({
  name: 'Flip',
  tableName: 'flips',
  properties: {
    id: { ...text, primary: true },
    projectId: text,
    subjectType: text,
    subjectId: text,
    fromStatus: nullableText,
    toStatus: text,
    reason: text,
    at: ts,
  },
});

export interface SchedulerNodeRow {
  id: string;
  hostname: string;
  pid: number;
  startedAt: Date;
  heartbeatAt: Date;
}

export const SchedulerNodeEntity = new EntitySchema<SchedulerNodeRow>({
  name: 'SchedulerNode',
  tableName: 'scheduler_nodes',
  properties: {
    id: { ...text, primary: true },
    hostname: text,
    pid: int,
    startedAt: ts,
    heartbeatAt: ts,
  },
});

/** One row per shard. `epoch` grows on every change of owner; fire writes are fenced on it. */
export interface ShardLeaseRow {
  shard: number;
  owner: string | null;
  epoch: number;
  expiresAt: Date | null;
}

export const ShardLeaseEntity = new EntitySchema<ShardLeaseRow>({
  name: 'ShardLease',
  tableName: 'shard_leases',
  properties: {
    shard: { ...shard, primary: true },
    owner: nullableText,
    epoch: { type: new BigIntType('number'), columnType: 'bigint' },
    expiresAt: nullableTs,
  },
});

export const entities = [
  AccountEntity,
  ProjectEntity,
  ApiKeyEntity,
  ScheduleEntity,
  JobEntity,
  ExecutionEntity,
  MonitorEntity,
  PingEntity,
  AlertEntity,
  FlipEntity,
  SchedulerNodeEntity,
  ShardLeaseEntity,
];
