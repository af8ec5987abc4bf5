import { InvalidCronError } from '../../../core/errors.js';
import type { JobInput } from '../../../core/jobs/service.js';
import type { ScheduleInput } from '../../../core/schedules/service.js';
import type { ExecutionStatus, JobStatus, Page } from '../../../core/types.js';
import type { PageLimits } from '../../shared/paging.js';
import type { ExecutionView, JobView, ScheduleView } from '../../shared/views.js';
import type { CreateJobBody, CreateScheduleBody, FliqJobStatus } from './schemas.js';

/**
 * Fliq's field map over the shared views: its names, the defaults its document states, its
 * statuses and envelopes. Rules stay in the core.
 *
 * Decisions where the document is silent (written down in docs/rest-fliq.md):
 * - a Tock job `running` (its HTTP call in flight) is Fliq `scheduled`: it has not reached a
 *   terminal state, and a client's status enum stays Fliq's four values; filtering by
 *   `scheduled` lists both;
 * - an attempt's `timeout` or `refused` (target policy) is a `failed` execution, with `error`
 *   saying which; `skipped` (a tick whose previous run was still running) stays `skipped`;
 * - lists are `{jobs|schedules: [...], next_cursor}`, `next_cursor` null on the last page.
 */

/** What the document says a create takes when a field is left out. */
export const FLIQ_DEFAULTS = { httpMethod: 'POST', maxRetries: 0, timezone: 'UTC' } as const;
/** `limit`: default 20, at most 100. */
export const FLIQ_PAGE_LIMITS: PageLimits = { defaultSize: 20, maxSize: 100 };

const JOB_STATUS: Record<JobStatus, FliqJobStatus> = {
  scheduled: 'scheduled',
  running: 'scheduled',
  succeeded: 'success',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The Tock statuses each Fliq status filter lists. */
export const JOB_STATUS_FILTER: Record<FliqJobStatus, JobStatus[]> = {
  scheduled: ['scheduled', 'running'],
  success: ['succeeded'],
  failed: ['failed'],
  cancelled: ['cancelled'],
};

const EXECUTION_STATUS: Record<ExecutionStatus, string> = {
  succeeded: 'success',
  failed: 'failed',
  timeout: 'failed',
  refused: 'failed',
  skipped: 'skipped',
};

/** ISO 8601 UTC as the document writes it: whole seconds without a fraction, else milliseconds. */
function time(d: Date): string;
function time(d: Date | null): string | null;
function time(d: Date | null): string | null {
  return d ? d.toISOString().replace('.000Z', 'Z') : null;
}

export function jobInputOf(b: CreateJobBody): JobInput {
  return {
    url: b.url,
    method: b.http_method ?? FLIQ_DEFAULTS.httpMethod,
    scheduledAt: b.scheduled_at,
    headers: b.headers ?? undefined,
    body: b.body ?? null,
    maxRetries: b.max_retries ?? FLIQ_DEFAULTS.maxRetries,
    idempotencyKey: b.idempotency_key ?? null,
    webhookUrl: b.webhook_url ?? null,
    webhookHeaders: b.webhook_headers ?? undefined,
  };
}

/**
 * Fliq's cron is 5 parts in UTC. Croner also takes 6 (seconds first), which the document does
 * not: refused here with the expected count, the core checks the rest.
 */
function fivePartCron(cron: string): string {
  const trimmed = cron.trim();
  const parts = trimmed === '' ? 0 : trimmed.split(/\s+/).length;
  if (parts !== 5) {
    const seconds = parts === 6 ? ' (a seconds field is not supported: drop the first part)' : '';
    throw new InvalidCronError(cron, `expected 5 parts: minute hour day-of-month month day-of-week, in UTC; got ${parts}${seconds}`);
  }
  return cron;
}

export function scheduleInputOf(b: CreateScheduleBody): ScheduleInput {
  return {
    url: b.url,
    method: b.http_method ?? FLIQ_DEFAULTS.httpMethod,
    cron: fivePartCron(b.cron),
    timezone: FLIQ_DEFAULTS.timezone,
    headers: b.headers ?? undefined,
    body: b.body ?? null,
    maxRetries: b.max_retries ?? FLIQ_DEFAULTS.maxRetries,
    webhookUrl: b.webhook_url ?? null,
    webhookHeaders: b.webhook_headers ?? undefined,
  };
}

/** A job with its current status and execution count (`attempts`). */
export function jobOut(j: JobView) {
  return {
    id: j.id,
    url: j.url,
    http_method: j.method,
    scheduled_at: time(j.scheduledAt),
    headers: j.headers,
    body: j.body,
    max_retries: j.maxRetries,
    idempotency_key: j.idempotencyKey,
    webhook_url: j.webhookUrl,
    webhook_headers: j.webhookHeaders,
    schedule_id: j.scheduleId,
    status: JOB_STATUS[j.status],
    attempts: j.attempts,
    last_status_code: j.lastStatusCode,
    last_error: j.lastError,
    created_at: time(j.createdAt),
    completed_at: time(j.finishedAt),
  };
}

export function scheduleOut(s: ScheduleView) {
  return {
    id: s.id,
    url: s.url,
    http_method: s.method,
    cron: s.cron,
    timezone: s.timezone,
    headers: s.headers,
    body: s.body,
    max_retries: s.maxRetries,
    webhook_url: s.webhookUrl,
    webhook_headers: s.webhookHeaders,
    status: s.state,
    created_at: time(s.createdAt),
    next_run_at: time(s.nextRunAt),
  };
}

export function executionOut(e: ExecutionView) {
  return {
    id: e.id,
    attempt_num: e.attempt,
    status: EXECUTION_STATUS[e.status],
    status_code: e.statusCode,
    duration_ms: e.durationMs,
    executed_at: time(e.startedAt),
    error: e.error,
  };
}

/** A list page: `{ <name>: [...], next_cursor }`. */
export function listOut<N extends string, W>(name: N, page: Page<W>): Record<N, W[]> & { next_cursor: string | null } {
  return { [name]: page.items, next_cursor: page.nextPageToken } as Record<N, W[]> & { next_cursor: string | null };
}
