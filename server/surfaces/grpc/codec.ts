/**
 * Proto <-> core translation for the tock.v1 gRPC surface. No business rule lives here: values
 * are renamed and re-shaped, and the core validates them.
 *
 * Conventions
 * - To proto: the shared views (shared/views.ts), field by field under the same names; a null
 *   becomes "" for plain proto strings and unset for `optional` ones (where presence is the
 *   proto's null); a null date becomes an unset Timestamp.
 * - Create: "" and unset mean "absent" (the core applies its default).
 * - Update: only the paths of `update_mask` (snake_case proto names) are applied; a masked field
 *   that is unset or "" is cleared (null) or reset to the core's default. An empty mask means
 *   every updatable field that is set to a non-default value in the message (AIP-134); `*`
 *   means every updatable field.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { JobInput, JobListFilter } from '../../core/jobs/service.js';
import type { KeyInput } from '../../core/keys/service.js';
import { MONITOR_UPDATABLE, type MonitorInput, type MonitorPatch } from '../../core/monitors/service.js';
import { PROJECT_UPDATABLE, type ProjectInput, type ProjectPatch } from '../../core/projects/service.js';
import { SCHEDULE_UPDATABLE, type ScheduleInput, type SchedulePatch } from '../../core/schedules/service.js';
import type { ApiKey, Execution, Job, JobStatus, Monitor, Page, PageRequest, PingKind, Project, Schedule, ScheduleState, Updatable } from '../../core/types.js';
import { fieldPath } from '../../core/validation.js';
import { Execution as ProtoExecution } from '../../gen/tock/v1/execution.js';
import { Job as ProtoJob, type ListJobsRequest } from '../../gen/tock/v1/job.js';
import { PingKind as ProtoPingKind, Monitor as ProtoMonitor } from '../../gen/tock/v1/monitor.js';
import { Key as ProtoKey, Project as ProtoProject } from '../../gen/tock/v1/project.js';
import { Schedule as ProtoSchedule, type ListSchedulesRequest } from '../../gen/tock/v1/schedule.js';
import { pageRequest, pageResponse } from '../shared/paging.js';
import { isUpdatable, patchOf } from '../shared/updates.js';
import * as views from '../shared/views.js';

/**
 * A proto message from a shared view: proto field names are the view's property names, so each
 * field is copied by name, and the type requires every field of the message to be in the view.
 * A null becomes the proto's "absent" (unset for optional and message fields, "" for plain ones).
 */
function fromView<P extends object>(type: { fromPartial(p: object): P }, view: { [K in keyof P]-?: Exclude<P[K], undefined> | null }): P {
  const out = type.fromPartial({}) as Record<string, unknown>;
  for (const field of Object.keys(out)) {
    const value = (view as Record<string, unknown>)[field];
    if (value !== null && value !== undefined) out[field] = value;
  }
  return out as P;
}

/** "" and unset are the same in proto3 for plain strings: both mean "not given". */
const given = (s: string | undefined): string | undefined => (s === '' ? undefined : s);
const nonEmpty = <T>(xs: T[] | undefined): T[] | undefined => (xs && xs.length > 0 ? xs : undefined);
const nonEmptyMap = (m: Record<string, string> | undefined) => (m && Object.keys(m).length > 0 ? m : undefined);

// ---- Schedules ----

/** The proto contract makes `state` output only: it changes through PauseSchedule and ResumeSchedule. */
const { state: _outputOnly, ...GRPC_SCHEDULE_UPDATABLE } = SCHEDULE_UPDATABLE;

export const scheduleToProto = (s: Schedule): ProtoSchedule => fromView(ProtoSchedule, views.scheduleView(s));

export function scheduleFromProto(msg: ProtoSchedule | undefined): ScheduleInput {
  const s = msg ?? ProtoSchedule.fromPartial({});
  return {
    key: given(s.key),
    name: given(s.name),
    description: given(s.description),
    url: s.url,
    method: given(s.method),
    headers: nonEmptyMap(s.headers),
    body: s.body,
    cron: given(s.cron),
    timezone: given(s.timezone),
    intervalSeconds: s.intervalSeconds,
    timeoutMs: s.timeoutMs,
    maxRetries: s.maxRetries,
    retryBackoffMs: s.retryBackoffMs,
    retryBackoffMaxMs: s.retryBackoffMaxMs,
    expectedStatus: nonEmpty(s.expectedStatus),
    // Enum-like strings are passed as sent; the core rejects values it does not know.
    overlap: given(s.overlap) as ScheduleInput['overlap'],
    misfire: given(s.misfire) as ScheduleInput['misfire'],
    alertEmail: given(s.alertEmail),
    alertWebhook: given(s.alertWebhook),
    alertOnFailure: s.alertOnFailure,
    alertOnRecovery: s.alertOnRecovery,
  };
}

export function schedulePatchFromProto(msg: ProtoSchedule | undefined, updateMask: string[] | undefined): SchedulePatch {
  return patchFromProto(msg, updateMask, GRPC_SCHEDULE_UPDATABLE, 'Schedule');
}

/** Paging plus the `state` filter of ListSchedules ("" = every state; the core checks the state). */
export function scheduleListFromProto(req: ListSchedulesRequest): PageRequest & { state?: ScheduleState } {
  return { ...pageFromProto(req), state: given(req.state) as ScheduleState | undefined };
}

// ---- Jobs and executions ----

export const jobToProto = (j: Job): ProtoJob => fromView(ProtoJob, views.jobView(j));

export function jobFromProto(msg: ProtoJob | undefined): JobInput {
  const j = msg ?? ProtoJob.fromPartial({});
  return {
    url: j.url,
    method: given(j.method),
    headers: nonEmptyMap(j.headers),
    body: j.body,
    scheduledAt: j.scheduledAt,
    timeoutMs: j.timeoutMs,
    maxRetries: j.maxRetries,
    retryBackoffMs: j.retryBackoffMs,
    retryBackoffMaxMs: j.retryBackoffMaxMs,
    expectedStatus: nonEmpty(j.expectedStatus),
    idempotencyKey: given(j.idempotencyKey),
    webhookUrl: given(j.webhookUrl),
  };
}

/** Paging plus the `status` and `schedule_id` filters of ListJobs ("" = no filter; the core checks the status). */
export function jobListFromProto(req: ListJobsRequest): JobListFilter {
  return { ...pageFromProto(req), status: given(req.status) as JobStatus | undefined, scheduleId: given(req.scheduleId) };
}

export const executionToProto = (e: Execution): ProtoExecution => fromView(ProtoExecution, views.executionView(e));

// ---- Monitors ----

/** `pingUrl` is the core's (`core.monitors.pingUrl(m)`): the codec does not know the public URL. */
export const monitorToProto = (m: Monitor, pingUrl: string): ProtoMonitor => fromView(ProtoMonitor, views.monitorView(m, pingUrl));

export function monitorFromProto(msg: ProtoMonitor | undefined): MonitorInput {
  const m = msg ?? ProtoMonitor.fromPartial({});
  return {
    key: given(m.key),
    name: given(m.name),
    periodSeconds: m.periodSeconds,
    cron: given(m.cron),
    timezone: given(m.timezone),
    graceSeconds: m.graceSeconds,
    alertEmail: given(m.alertEmail),
    alertWebhook: given(m.alertWebhook),
  };
}

export function monitorPatchFromProto(msg: ProtoMonitor | undefined, updateMask: string[] | undefined): MonitorPatch {
  return patchFromProto(msg, updateMask, MONITOR_UPDATABLE, 'Monitor');
}

const PING_KINDS: Partial<Record<ProtoPingKind, PingKind>> = {
  [ProtoPingKind.PING_KIND_UNSPECIFIED]: 'success',
  [ProtoPingKind.PING_KIND_SUCCESS]: 'success',
  [ProtoPingKind.PING_KIND_START]: 'start',
  [ProtoPingKind.PING_KIND_FAIL]: 'fail',
};

export function pingKindFromProto(kind: ProtoPingKind): PingKind {
  const out = PING_KINDS[kind];
  if (!out) throw new InvalidArgumentError(`kind: unknown PingKind value ${kind}`, 'kind');
  return out;
}

// ---- Projects and keys ----

export const projectToProto = (p: Project): ProtoProject => fromView(ProtoProject, views.projectView(p));

export function projectFromProto(msg: ProtoProject | undefined): ProjectInput {
  return { name: msg?.name ?? '' };
}

export function projectPatchFromProto(msg: ProtoProject | undefined, updateMask: string[] | undefined): ProjectPatch {
  return patchFromProto(msg, updateMask, PROJECT_UPDATABLE, 'Project');
}

export const keyToProto = (k: ApiKey): ProtoKey => fromView(ProtoKey, views.keyView(k));

export function keyFromProto(msg: ProtoKey | undefined): KeyInput {
  const k = msg ?? ProtoKey.fromPartial({});
  return { name: given(k.name), projectId: given(k.projectId), scopes: nonEmpty(k.scopes) };
}

// ---- Paging ----

export function pageFromProto(req: { pageSize: number; pageToken: string }): PageRequest {
  return pageRequest(req.pageSize, req.pageToken);
}

/** A list response: `{ [key]: items, nextPageToken }`, with "" on the last page. */
export function pageToProto<K extends string, T, P>(key: K, page: Page<T>, toProto: (item: T) => P): Record<K, P[]> & { nextPageToken: string } {
  const { items, nextPageToken } = pageResponse(page, toProto);
  return { [key]: items, nextPageToken: nextPageToken ?? '' } as Record<K, P[]> & { nextPageToken: string };
}

// ---- Field masks ----

const camel = (path: string) => path.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const unset = (v: unknown) => v === undefined || v === '';
const isDefault = (v: unknown) =>
  unset(v) || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !(v instanceof Date) && Object.keys(v).length === 0);

/**
 * A core patch from a proto message and its update mask, over the core's updatable fields (by
 * their snake_case proto names): a masked field that is set takes its value, one that is unset
 * is cleared. Any other path (unknown or output only) is an INVALID_ARGUMENT naming it. Proto
 * field names map 1:1 to core property names.
 */
function patchFromProto<P extends object>(msg: object | undefined, mask: string[] | undefined, updatable: Updatable<P>, resource: string): P {
  const fields = (msg ?? {}) as Record<string, unknown>;
  const all = Object.keys(updatable).map((f) => fieldPath([f]));
  const paths = !mask || mask.length === 0 ? all.filter((p) => !isDefault(fields[camel(p)])) : mask.length === 1 && mask[0] === '*' ? all : mask;
  const set: Record<string, unknown> = {};
  const clear: Array<keyof P> = [];
  for (const path of paths) {
    const field = camel(path);
    if (!all.includes(path) || !isUpdatable(updatable, field)) {
      throw new InvalidArgumentError(
        `update_mask: '${path}' is not an updatable field of ${resource} (updatable: ${all.join(', ')})`,
        'update_mask',
      );
    }
    if (unset(fields[field])) clear.push(field);
    else set[field] = fields[field];
  }
  return patchOf(updatable, set as Partial<P>, clear);
}
