/**
 * The API's hot reads of `schedules`: one by id or by key. Lean: prepared statements through
 * `Database.query`, rows mapped to the domain `Schedule` here and nowhere else (the ORM entity in
 * ../entities.ts maps the same columns for the other paths).
 */
import type { Schedule } from '../../core/types.js';
import type { Database, Querier } from '../database.js';
import { pgArray } from '../sql/values.js';
import { dateOf, jsonOf, msColumn } from './columns.js';

const SELECT = `select id, project_id, shard, key, name, description, url, method, headers, body, cron, timezone,
       interval_seconds, timeout_ms, max_retries, retry_backoff_ms, retry_backoff_max_ms, expected_status, overlap,
       misfire, state, ${msColumn('next_run_at')}, ${msColumn('last_run_at')}, last_status, alert_email, alert_webhook,
       alert_on_failure, alert_on_recovery, alert_webhook_format, alert_policy, alert_after_failures,
       alert_reminder_seconds, failure_streak, webhook_url, webhook_headers, ${msColumn('created_at')}, ${msColumn('updated_at')}
  from schedules`;

const BY_ID_SQL = `${SELECT} where id = $1 and project_id = $2`;
const BY_KEY_SQL = `${SELECT} where project_id = $1 and key = $2`;

interface ScheduleRecord {
  id: string;
  project_id: string;
  shard: number;
  key: string | null;
  name: string;
  description: string | null;
  url: string;
  method: Schedule['method'];
  headers: Record<string, string> | string;
  body: string | null;
  cron: string | null;
  timezone: string;
  interval_seconds: number | null;
  timeout_ms: number;
  max_retries: number;
  retry_backoff_ms: number;
  retry_backoff_max_ms: number;
  expected_status: number[] | string;
  overlap: Schedule['overlap'];
  misfire: Schedule['misfire'];
  state: Schedule['state'];
  next_run_at: number | null;
  last_run_at: number | null;
  last_status: Schedule['lastStatus'];
  alert_email: string | null;
  alert_webhook: string | null;
  alert_on_failure: boolean;
  alert_on_recovery: boolean;
  alert_webhook_format: Schedule['alertWebhookFormat'];
  alert_policy: Schedule['alertPolicy'];
  alert_after_failures: number | null;
  alert_reminder_seconds: number | null;
  failure_streak: number;
  webhook_url: string | null;
  webhook_headers: Record<string, string> | string;
  created_at: number;
  updated_at: number;
}

function toSchedule(r: ScheduleRecord): Schedule {
  return {
    id: r.id,
    projectId: r.project_id,
    shard: r.shard,
    key: r.key,
    name: r.name,
    description: r.description,
    url: r.url,
    method: r.method,
    headers: jsonOf(r.headers),
    body: r.body,
    cron: r.cron,
    timezone: r.timezone,
    intervalSeconds: r.interval_seconds,
    timeoutMs: r.timeout_ms,
    maxRetries: r.max_retries,
    retryBackoffMs: r.retry_backoff_ms,
    retryBackoffMaxMs: r.retry_backoff_max_ms,
    expectedStatus: jsonOf(r.expected_status),
    overlap: r.overlap,
    misfire: r.misfire,
    state: r.state,
    nextRunAt: dateOf(r.next_run_at),
    lastRunAt: dateOf(r.last_run_at),
    lastStatus: r.last_status,
    alertEmail: r.alert_email,
    alertWebhook: r.alert_webhook,
    alertOnFailure: r.alert_on_failure,
    alertOnRecovery: r.alert_on_recovery,
    alertWebhookFormat: r.alert_webhook_format,
    alertPolicy: r.alert_policy,
    alertAfterFailures: r.alert_after_failures,
    alertReminderSeconds: r.alert_reminder_seconds,
    failureStreak: r.failure_streak,
    webhookUrl: r.webhook_url,
    webhookHeaders: jsonOf(r.webhook_headers),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** The schedule `id` of project `projectId`, or null. */
export async function findSchedule(db: Database, projectId: string, id: string): Promise<Schedule | null> {
  const [row] = await db.query<ScheduleRecord>(BY_ID_SQL, [id, projectId], 'tock_schedule_by_id');
  return row ? toSchedule(row) : null;
}

export async function findScheduleByKey(db: Database, projectId: string, key: string): Promise<Schedule | null> {
  const [row] = await db.query<ScheduleRecord>(BY_KEY_SQL, [projectId, key], 'tock_schedule_by_key');
  return row ? toSchedule(row) : null;
}

const BY_IDS_SQL = `${SELECT} where id = any($1::text[])`;

/** The schedules of these ids (any project), on `q` (inside the caller's transaction). */
export async function findSchedulesByIds(q: Querier, ids: readonly string[]): Promise<Schedule[]> {
  if (ids.length === 0) return [];
  const rows = await q.query<ScheduleRecord>(BY_IDS_SQL, [pgArray(ids)], 'tock_schedules_by_ids');
  return rows.map(toSchedule);
}
