import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../../../core/errors.js';
import type { JobInput } from '../../../core/jobs/service.js';
import { PROJECT_UPDATABLE, type ProjectPatch, type ProjectSettingsInput } from '../../../core/projects/service.js';
import { SCHEDULE_UPDATABLE, type ScheduleInput, type SchedulePatch } from '../../../core/schedules/service.js';
import type { ExecutionStatus, JobStatus } from '../../../core/types.js';
import { mergeOf } from '../../shared/updates.js';
import type { ExecutionView, JobView, ProjectView, ScheduleView } from '../../shared/views.js';
import type { CreateJobBody, NotificationsBody, PatchJobBody, SyncJob } from './schemas.js';

/**
 * The Prikke field map. A Prikke job with `cron` is a Tock schedule, one with `run_at` a
 * one-time Tock job; both render as one job shape. Defaults the document states live here
 * (method POST, a key generated when none is given); every other rule is the core's.
 */

/** A job as Prikke shows it. Fields of the other kind are null (`cron` of a one-time job, `run_at` and `status` of a recurring one). */
export interface PrikkeJob {
  id: string;
  key: string | null;
  name: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  cron: string | null;
  run_at: string | null;
  enabled: boolean;
  status: string | null;
  next_run_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface PrikkeExecution {
  id: string;
  status: string;
  status_code: number | null;
  duration_ms: number;
  started_at: string;
  finished_at: string;
  error: string | null;
  attempt: number;
}

export interface PrikkeNotifications {
  email: string | null;
  webhook_url: string | null;
}

/** The document's default method. */
export const DEFAULT_METHOD = 'POST';

/**
 * Core field names (as the core's errors spell them) that Prikke spells otherwise. Used to
 * speak of the caller's own fields in error messages.
 */
export const PRIKKE_FIELD: Readonly<Record<string, string>> = {
  scheduled_at: 'run_at',
  idempotency_key: 'key',
  state: 'enabled',
  notify_email: 'notifications.email',
  notify_webhook_url: 'notifications.webhook_url',
  'project.notify_email': 'notifications.email',
  'project.notify_webhook_url': 'notifications.webhook_url',
  page_token: 'cursor',
  page_size: 'limit',
};

/** RFC 3339 in UTC, with milliseconds only when there are some (`2025-01-28T12:00:00Z`, as the document writes times). */
export function time(d: Date): string;
export function time(d: Date | null): string | null;
export function time(d: Date | null): string | null {
  return d === null ? null : d.toISOString().replace('.000Z', 'Z');
}

const JOB_STATUS: Readonly<Record<JobStatus, string>> = {
  scheduled: 'scheduled',
  running: 'running',
  succeeded: 'success',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** Prikke's execution statuses are success / failed / timeout; a call the target policy refused failed, a skipped tick is `skipped`. */
const EXECUTION_STATUS: Readonly<Record<ExecutionStatus, string>> = {
  succeeded: 'success',
  failed: 'failed',
  timeout: 'timeout',
  refused: 'failed',
  skipped: 'skipped',
};

// ---- out ----

export function fromSchedule(s: ScheduleView): PrikkeJob {
  return {
    id: s.id,
    key: s.key,
    name: s.name,
    url: s.url,
    method: s.method,
    headers: s.headers,
    body: s.body,
    cron: s.cron,
    run_at: null,
    enabled: s.state === 'active',
    status: null,
    next_run_at: time(s.nextRunAt),
    created_at: time(s.createdAt),
    updated_at: time(s.updatedAt),
  };
}

/** A one-time job: its key is its idempotency key; it is `enabled` while it is still to run. */
export function fromJob(j: JobView): PrikkeJob {
  return {
    id: j.id,
    key: j.idempotencyKey,
    name: j.name ?? j.url,
    url: j.url,
    method: j.method,
    headers: j.headers,
    body: j.body,
    cron: null,
    run_at: time(j.scheduledAt),
    enabled: j.status === 'scheduled' || j.status === 'running',
    status: JOB_STATUS[j.status],
    next_run_at: time(j.nextAttemptAt),
    created_at: time(j.createdAt),
    updated_at: time(j.updatedAt),
  };
}

export function fromExecution(e: ExecutionView): PrikkeExecution {
  return {
    id: e.id,
    status: EXECUTION_STATUS[e.status],
    status_code: e.statusCode,
    duration_ms: e.durationMs,
    started_at: time(e.startedAt),
    finished_at: time(e.finishedAt),
    error: e.error,
    attempt: e.attempt,
  };
}

export function fromProject(p: ProjectView): PrikkeNotifications {
  return { email: p.notifyEmail, webhook_url: p.notifyWebhookUrl };
}

// ---- in ----

/**
 * "Auto-generated if not provided": the name (or the URL's host) as a slug, with a random tail
 * so two jobs of the same name get different keys. Unchecked here: the core checks keys.
 */
export function generatedKey(name: string | undefined, url: string): string {
  let base = name ?? '';
  if (!base) {
    try {
      base = new URL(url).host;
    } catch {
      base = 'job';
    }
  }
  const slug = base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return `${slug || 'job'}-${randomBytes(4).toString('hex')}`;
}

const stateOf = (enabled: boolean | undefined) => (enabled === undefined ? undefined : enabled ? ('active' as const) : ('paused' as const));

/** Which kind a create makes: `cron` (recurring) or `run_at` (one-time), exactly one of them. */
export function kindOf(b: { cron?: string | null; run_at?: string | null }): 'recurring' | 'one-time' {
  const cron = b.cron != null;
  const runAt = b.run_at != null;
  if (cron && runAt) throw new InvalidArgumentError('Use either cron (recurring) or run_at (one-time), not both', 'run_at');
  if (!cron && !runAt) throw new InvalidArgumentError('Set cron (a recurring job) or run_at (a one-time job)', 'cron');
  return cron ? 'recurring' : 'one-time';
}

export function scheduleInputOf(b: CreateJobBody): ScheduleInput {
  return {
    key: b.key ?? generatedKey(b.name, b.url),
    name: b.name,
    url: b.url,
    method: b.method ?? DEFAULT_METHOD,
    headers: b.headers,
    body: b.body,
    cron: b.cron,
    state: stateOf(b.enabled),
  };
}

export function jobInputOf(b: CreateJobBody): JobInput {
  if (b.enabled === false) {
    throw new InvalidArgumentError('enabled: a one-time job cannot be disabled; DELETE it to cancel it', 'enabled');
  }
  return {
    idempotencyKey: b.key ?? generatedKey(b.name, b.url),
    name: b.name,
    url: b.url,
    method: b.method ?? DEFAULT_METHOD,
    headers: b.headers,
    body: b.body,
    scheduledAt: b.run_at,
  };
}

/** A PATCH of a recurring job: named fields change, null clears (the core's cleared values). */
export function schedulePatchOf(b: PatchJobBody): SchedulePatch {
  const { run_at: _runAt, enabled, ...fields } = b;
  const named = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return mergeOf(SCHEDULE_UPDATABLE, { ...named, ...(enabled === undefined ? {} : { state: stateOf(enabled) }) } as SchedulePatch);
}

/** A sync file's job as the core's sync entry: every field it leaves out takes its default. */
export function syncEntryOf(j: SyncJob): ScheduleInput & { key: string } {
  return {
    key: j.key,
    name: j.name,
    url: j.url,
    method: j.method ?? DEFAULT_METHOD,
    headers: j.headers,
    body: j.body,
    cron: j.cron,
    state: stateOf(j.enabled),
  };
}

/** The notifications of a sync file as the project settings it describes (a setting left out is disabled). */
export function settingsOf(n: NotificationsBody): ProjectSettingsInput {
  return { notifyEmail: n.email ?? undefined, notifyWebhookUrl: n.webhook_url ?? undefined };
}

/** PUT /project: a named setting changes, null disables it, a setting left out stays. */
export function projectPatchOf(n: NotificationsBody | undefined): ProjectPatch {
  const patch: { notifyEmail?: string | null; notifyWebhookUrl?: string | null } = {};
  if (n?.email !== undefined) patch.notifyEmail = n.email;
  if (n?.webhook_url !== undefined) patch.notifyWebhookUrl = n.webhook_url;
  return mergeOf(PROJECT_UPDATABLE, patch);
}

/** The Prikke fields a PATCH body names (what its `changes` may list). */
export function patchedFields(b: PatchJobBody): Array<keyof PrikkeJob> {
  return (Object.keys(b) as Array<keyof PatchJobBody>).filter((f) => f !== 'run_at' && b[f] !== undefined) as Array<keyof PrikkeJob>;
}
