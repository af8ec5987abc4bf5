import { InvalidArgumentError, NotFoundError } from '../../../core/errors.js';
import { idOfUuid, uuidOfId } from '../../../core/ids.js';
import type { ScheduleInput, SchedulePatch } from '../../../core/schedules/service.js';
import type { Execution, ExecutionStatus, JobStatus, Schedule } from '../../../core/types.js';
import { executionView, scheduleView, type ScheduleView } from '../../shared/views.js';
import { isPreset, presetOf, presetSeconds, PRESET_FORM } from './interval-presets.js';
import type { JobBody, JobPatchBody, ScheduleType } from './schemas.js';

/**
 * The Krafter field map: a Krafter cron job is a Tock schedule. Requests become core inputs
 * (with the document's defaults, stated here once), shared views become the document's JSON.
 *
 * - ids are the UUIDs inside Tock's ids (`sched_…` <-> UUID, `exec_…` <-> UUID), one identity;
 * - `schedule_type` + `schedule`: a cron expression, or an interval preset (interval-presets.ts);
 * - `enabled` is the state (active / paused);
 * - `failure_notify` is the schedule's alert on failure, and its recovery alert with it (a
 *   recovery notice only follows a failure notice): true sets both, false clears both, and a
 *   schedule reads as `failure_notify: true` when it alerts on failure;
 * - times are RFC 3339 UTC in whole seconds, as the document writes them (`2025-01-15T10:05:00Z`).
 */

/** The defaults the document states (what a create or a PUT leaves out). */
export const KRAFTER_DEFAULTS = {
  timezone: 'UTC',
  headers: {} as Record<string, string>,
  timeout_ms: 30_000,
  max_retries: 3,
  enabled: true,
  failure_notify: false,
} as const;

export interface KrafterJob {
  id: string;
  name: string;
  schedule_type: ScheduleType;
  schedule: string;
  timezone: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  timeout_ms: number;
  max_retries: number;
  enabled: boolean;
  failure_notify: boolean;
  last_status: string | null;
  last_run_at: string | null;
  next_run_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface KrafterExecution {
  id: string;
  status: string;
  http_status: number | null;
  response_body: string | null;
  error: string | null;
  attempt: number;
  duration_ms: number;
  started_at: string;
  finished_at: string;
}

/** A time as the document writes it: UTC, whole seconds (the milliseconds dropped). */
export function time(d: Date): string;
export function time(d: Date | null): string | null;
export function time(d: Date | null): string | null {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}

/** The schedule id a job UUID in a path stands for; a malformed UUID is a job that does not exist. */
export function scheduleIdOf(uuid: string): string {
  const id = idOfUuid('schedule', uuid);
  if (!id) throw new NotFoundError('schedule', uuid);
  return id;
}

/** Run outcomes in the document's words: `success` for Tock's `succeeded`, the others as Tock names them. */
const STATUS_WORD: Partial<Record<JobStatus | ExecutionStatus, string>> = { succeeded: 'success' };
const statusWord = (s: JobStatus | ExecutionStatus): string => STATUS_WORD[s] ?? s;

/** `schedule_type` + `schedule` as the core's trigger fields. */
function triggerOf(type: ScheduleType, schedule: string): Pick<ScheduleInput, 'cron' | 'intervalSeconds'> {
  if (type === 'interval') {
    const seconds = presetSeconds(schedule);
    if (seconds === null) {
      throw new InvalidArgumentError(
        `schedule: '${schedule.slice(0, 100)}' is not an interval preset: with schedule_type 'interval' use ${PRESET_FORM}; for a cron expression set schedule_type to 'cron'`,
        'schedule',
      );
    }
    return { cron: null, intervalSeconds: seconds };
  }
  if (isPreset(schedule)) {
    throw new InvalidArgumentError(`schedule: '${schedule}' is an interval preset: set schedule_type to 'interval', or give a cron expression`, 'schedule');
  }
  return { cron: schedule, intervalSeconds: null };
}

/** The core fields of the given Krafter fields other than the trigger (absent ones stay absent). */
function plainFields(b: Partial<JobBody>): SchedulePatch {
  const out: SchedulePatch = {};
  if (b.name !== undefined) out.name = b.name;
  if (b.url !== undefined) out.url = b.url;
  if (b.method !== undefined) out.method = b.method;
  if (b.headers !== undefined) out.headers = b.headers;
  if (b.timezone !== undefined) out.timezone = b.timezone;
  if (b.timeout_ms !== undefined) out.timeoutMs = b.timeout_ms;
  if (b.max_retries !== undefined) out.maxRetries = b.max_retries;
  if (b.enabled !== undefined) out.state = b.enabled ? 'active' : 'paused';
  if (b.failure_notify !== undefined) {
    out.alertOnFailure = b.failure_notify;
    out.alertOnRecovery = b.failure_notify;
  }
  return out;
}

/** A whole job (create, PUT) as the core's fields: what the body leaves out takes the document's default. */
export function jobInput(b: JobBody): ScheduleInput & SchedulePatch {
  return {
    ...plainFields({ ...KRAFTER_DEFAULTS, ...b }),
    ...triggerOf(b.schedule_type, b.schedule),
    url: b.url,
  };
}

/**
 * A PATCH as a core patch: only the fields given. `schedule` alone keeps the current
 * `schedule_type`; a new `schedule_type` needs its `schedule` (the current one is of the other kind).
 */
export async function jobPatch(b: JobPatchBody, current: () => Promise<Schedule>): Promise<SchedulePatch> {
  const patch = plainFields(b as Partial<JobBody>);
  if (b.schedule === undefined && b.schedule_type === undefined) return patch;
  const was = scheduleTypeOf(scheduleView(await current()));
  const type = b.schedule_type ?? was;
  if (b.schedule !== undefined) return { ...patch, ...triggerOf(type, b.schedule) };
  if (type === was) return patch;
  throw new InvalidArgumentError(`schedule: is required when schedule_type changes to '${type}'`, 'schedule');
}

const scheduleTypeOf = (s: Pick<ScheduleView, 'cron'>): ScheduleType => (s.cron ? 'cron' : 'interval');

export function job(s: Schedule): KrafterJob {
  const v = scheduleView(s);
  return {
    id: uuidOfId(v.id),
    name: v.name,
    schedule_type: scheduleTypeOf(v),
    schedule: v.cron ?? presetOf(v.intervalSeconds ?? 0),
    timezone: v.timezone,
    url: v.url,
    method: v.method,
    headers: v.headers,
    timeout_ms: v.timeoutMs,
    max_retries: v.maxRetries,
    enabled: v.state === 'active',
    failure_notify: v.alertOnFailure,
    last_status: v.lastStatus ? statusWord(v.lastStatus) : null,
    last_run_at: time(v.lastRunAt),
    next_run_at: time(v.nextRunAt),
    created_at: time(v.createdAt),
    updated_at: time(v.updatedAt),
  };
}

/** What pause and resume answer, as documented. */
export function jobState(s: Schedule): Pick<KrafterJob, 'id' | 'name' | 'enabled'> {
  const { id, name, enabled } = job(s);
  return { id, name, enabled };
}

export function execution(e: Execution): KrafterExecution {
  const v = executionView(e);
  return {
    id: uuidOfId(v.id),
    status: statusWord(v.status),
    http_status: v.statusCode,
    response_body: v.responseBody,
    error: v.error,
    attempt: v.attempt,
    duration_ms: v.durationMs,
    started_at: time(v.startedAt),
    finished_at: time(v.finishedAt),
  };
}
