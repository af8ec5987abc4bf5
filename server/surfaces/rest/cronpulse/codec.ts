import type { HeartbeatSettings } from '../../../core/schedules/heartbeat.js';
import { SCHEDULE_UPDATABLE, type ScheduleInput, type SchedulePatch } from '../../../core/schedules/service.js';
import { PROJECT_UPDATABLE, type ProjectInput, type ProjectPatch } from '../../../core/projects/service.js';
import type { JobStatus, Monitor, Project, Schedule } from '../../../core/types.js';
import { mergeOf } from '../../shared/updates.js';
import { monitorView, projectView, scheduleView } from '../../shared/views.js';
import type { JobCreateBody, JobUpdateBody, ProjectCreateBody, ProjectUpdateBody } from './schemas.js';

/**
 * CronPulse's field map. A CronPulse project is a Tock project (plus its jobs' summaries); a
 * CronPulse job is a Tock schedule: `schedule` is its cron (UTC, the core's default zone),
 * `timeout` seconds are its `timeoutMs`, `expectedStatusCode` its one expected status, and
 * `heartbeat` its heartbeat monitor (`heartbeatTolerance` minutes = the monitor's grace; its
 * ping URL is `heartbeatUrl`). Defaults the dialect states itself live here, nothing else.
 */

/** Minutes of tolerance of a heartbeat when a request turns one on without saying. */
export const DEFAULT_HEARTBEAT_TOLERANCE_MINUTES = 5;

/** What CronPulse shows of the last run: the document's `success`, or `failed`; null before any. */
const LAST_STATUS: Partial<Record<JobStatus, 'success' | 'failed'>> = { succeeded: 'success', failed: 'failed' };

/** Times as the document writes them: ISO 8601 in UTC to the second (`2024-01-30T12:00:00Z`). */
export function documentTime(d: Date | null): string | null {
  return d === null ? null : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const later = (a: Date | null, b: Date | null): Date | null => (a && b ? (a > b ? a : b) : (a ?? b));

// ---- in ----

export function projectInput(b: ProjectCreateBody): ProjectInput {
  return { name: b.name, url: b.url };
}

export function projectPatch(b: ProjectUpdateBody): ProjectPatch {
  return mergeOf(PROJECT_UPDATABLE, { name: b.name, url: b.url });
}

/** The core fields of a job body (all but `projectId` and the heartbeat, which are not schedule fields). */
function scheduleFields(b: JobUpdateBody): { [K in keyof SchedulePatch]?: SchedulePatch[K] | null } {
  const fields: { [K in keyof SchedulePatch]?: SchedulePatch[K] | null } = {
    name: b.name,
    url: b.url,
    method: b.method as SchedulePatch['method'],
    cron: b.schedule,
    timeoutMs: b.timeout == null ? b.timeout : b.timeout * 1000,
    expectedStatus: b.expectedStatusCode == null ? b.expectedStatusCode : [b.expectedStatusCode],
    headers: b.headers,
    body: b.body,
  };
  // Left out is not the same as null (which clears): drop what the body did not name.
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

export function scheduleInput(b: JobCreateBody): ScheduleInput {
  const { name, url, method, cron, ...rest } = scheduleFields(b);
  const input: ScheduleInput = { name: name!, url: url!, method: method!, cron: cron! };
  // A null on create is "not given": the core's default.
  for (const [k, v] of Object.entries(rest)) if (v !== null) (input as Record<string, unknown>)[k] = v;
  return input;
}

export function schedulePatch(b: JobUpdateBody): SchedulePatch {
  return mergeOf(SCHEDULE_UPDATABLE, scheduleFields(b));
}

const settings = (minutes: number): HeartbeatSettings => ({ graceSeconds: minutes * 60 });

/** The heartbeat a new job asks for: with `heartbeat: true`, its tolerance (default 5 minutes). */
export function heartbeatOfNew(b: JobCreateBody): HeartbeatSettings | null {
  return b.heartbeat ? settings(b.heartbeatTolerance ?? DEFAULT_HEARTBEAT_TOLERANCE_MINUTES) : null;
}

/**
 * What an update does to a job's heartbeat (`current`: the one it has): `heartbeat: false`
 * removes it, `true` makes or keeps it; `heartbeatTolerance` changes the tolerance of a job that
 * has (or gets) one, null resets it to the default; neither field: it stays as it is. A tolerance
 * for a job without a heartbeat has nothing to apply to and is ignored.
 */
export function heartbeatOfUpdate(b: JobUpdateBody, current: Monitor | null): HeartbeatSettings | null | undefined {
  const wanted = b.heartbeat ?? current !== null;
  if (!wanted) return current || b.heartbeat === false ? null : undefined;
  if (b.heartbeatTolerance !== undefined) return settings(b.heartbeatTolerance ?? DEFAULT_HEARTBEAT_TOLERANCE_MINUTES);
  return current ? { graceSeconds: current.graceSeconds } : settings(DEFAULT_HEARTBEAT_TOLERANCE_MINUTES);
}

// ---- out ----

export interface JobJson {
  id: string;
  name: string;
  projectId: string;
  url: string;
  method: string;
  schedule: string | null;
  heartbeat: boolean;
  heartbeatTolerance: number | null;
  timeout: number;
  expectedStatusCode: number | null;
  headers: Record<string, string>;
  body: string | null;
  lastStatus: 'success' | 'failed' | null;
  lastActivityAt: string | null;
  nextRunAt: string | null;
  /** Not in the document: where the job pings its heartbeat; null without one. */
  heartbeatUrl: string | null;
}

export interface JobSummaryJson {
  id: string;
  name: string;
  lastStatus: 'success' | 'failed' | null;
}

export interface ProjectJson {
  id: string;
  name: string;
  url: string | null;
  /** Left out for a key that may not read jobs (an empty list would say the project has none). */
  jobs?: JobSummaryJson[];
}

/** A job from its schedule and heartbeat (`pingUrl` of the heartbeat: the core's). */
export function jobJson(s: Schedule, heartbeat: { monitor: Monitor; pingUrl: string } | null): JobJson {
  const v = scheduleView(s);
  const m = heartbeat ? monitorView(heartbeat.monitor, heartbeat.pingUrl) : null;
  return {
    id: v.id,
    name: v.name,
    projectId: v.projectId,
    url: v.url,
    method: v.method,
    schedule: v.cron,
    heartbeat: m !== null,
    heartbeatTolerance: m ? m.graceSeconds / 60 : null,
    timeout: v.timeoutMs / 1000,
    expectedStatusCode: v.expectedStatus[0] ?? null,
    headers: v.headers,
    body: v.body,
    lastStatus: v.lastStatus ? (LAST_STATUS[v.lastStatus] ?? null) : null,
    // The last run, or the last heartbeat ping if that came later.
    lastActivityAt: documentTime(later(v.lastRunAt, m?.lastPingAt ?? null)),
    nextRunAt: documentTime(v.nextRunAt),
    heartbeatUrl: m?.pingUrl ?? null,
  };
}

export function jobSummaryJson(s: Schedule): JobSummaryJson {
  const v = scheduleView(s);
  return { id: v.id, name: v.name, lastStatus: v.lastStatus ? (LAST_STATUS[v.lastStatus] ?? null) : null };
}

/** A project, with its jobs' summaries when they may be shown. */
export function projectJson(p: Project, jobs: Schedule[] | null): ProjectJson {
  const v = projectView(p);
  return { id: v.id, name: v.name, url: v.url, ...(jobs ? { jobs: jobs.map(jobSummaryJson) } : {}) };
}
