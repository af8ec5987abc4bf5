import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { Account, ApiKey, Execution, Job, Monitor, Ping, Project, Schedule } from '../core/types.js';

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
    signingSecret: text,
    previousSigningSecret: nullableText,
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
    alertEmail: nullableText,
    alertWebhook: nullableText,
    alertOnFailure: { type: 'boolean' },
    alertOnRecovery: { type: 'boolean' },
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

export const MonitorEntity = new EntitySchema<Monitor>({
  name: 'Monitor',
  tableName: 'monitors',
  properties: {
    id: { ...text, primary: true },
    projectId: text,
    shard,
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
    alertEmail: nullableText,
    alertWebhook: nullableText,
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
    receivedAt: ts,
    sourceIp: nullableText,
    userAgent: nullableText,
    body: nullableText,
  },
});

/** Outbox row: one alert event to deliver to one channel, retried until sent. */
export interface AlertRow {
  id: string;
  projectId: string;
  event: string;
  subjectType: string;
  subjectId: string;
  channel: string;
  target: string;
  payload: Record<string, unknown>;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export const AlertEntity = new EntitySchema<AlertRow>({
  name: 'Alert',
  tableName: 'alerts',
  properties: {
    id: { ...text, primary: true },
    projectId: text,
    event: text,
    subjectType: text,
    subjectId: text,
    channel: text,
    target: text,
    payload: json,
    status: text,
    attempts: int,
    nextAttemptAt: ts,
    lastError: nullableText,
    createdAt: ts,
    sentAt: nullableTs,
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
  SchedulerNodeEntity,
  ShardLeaseEntity,
];
