/**
 * Proto <-> core translation for the tock.v1 gRPC surface. No business rule lives here: values
 * are renamed and re-shaped, and the core validates them.
 *
 * Conventions
 * - To proto: the shared views (shared/views.ts), field by field under the same names; a null
 *   becomes "" for plain proto strings and unset for `optional` ones (where presence is the
 *   proto's null); a null date becomes an unset Timestamp.
 * - Create: the fields of the core's input schema, by the same names; "", an empty list or map
 *   and unset mean "absent" (the core applies its default), except for a field the core
 *   requires (passed as sent, for the core to name) and `body` ("" is an empty body).
 * - Update: only the paths of `update_mask` (snake_case proto names) are applied; a masked field
 *   that is unset or "" is cleared (null) or reset to the core's default. An empty mask means
 *   every updatable field that is set to a non-default value in the message (AIP-134); `*`
 *   means every updatable field.
 */
import type { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.js';
import { jobInput, type JobBatchResult, type JobInput, type JobListFilter } from '../../core/jobs/service.js';
import { keyInput, type KeyInput } from '../../core/keys/service.js';
import { MONITOR_UPDATABLE, monitorInput, type MonitorInput, type MonitorPatch } from '../../core/monitors/service.js';
import { PROJECT_UPDATABLE, projectInput, type ProjectInput, type ProjectPatch } from '../../core/projects/service.js';
import { SCHEDULE_UPDATABLE, scheduleInput, type ScheduleInput, type SchedulePatch } from '../../core/schedules/service.js';
import type {
  Alert,
  AlertSubject,
  ApiKey,
  Execution,
  Flip,
  FlipSubject,
  Job,
  JobStatus,
  Monitor,
  Page,
  PageRequest,
  Ping,
  PingKind,
  Project,
  Schedule,
  ScheduleState,
  Updatable,
} from '../../core/types.js';
import { fieldPath } from '../../core/validation.js';
import { Execution as ProtoExecution } from '../../../client/src/gen/tock/v1/execution.js';
import { Job as ProtoJob, type CreateJobsResponse, type ListJobsRequest } from '../../../client/src/gen/tock/v1/job.js';
import { Alert as ProtoAlert, Flip as ProtoFlip } from '../../../client/src/gen/tock/v1/alert.js';
import { PingKind as ProtoPingKind, Monitor as ProtoMonitor, Ping as ProtoPing } from '../../../client/src/gen/tock/v1/monitor.js';
import { Key as ProtoKey, Project as ProtoProject } from '../../../client/src/gen/tock/v1/project.js';
import { Schedule as ProtoSchedule, type ListSchedulesRequest } from '../../../client/src/gen/tock/v1/schedule.js';
import { pageRequest, pageResponse } from '../shared/paging.js';
import { toGrpcItemError } from './errors.js';
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

/** What proto3 cannot tell from unset: "", an empty list, an empty map. */
const isEmpty = (v: unknown) =>
  v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && Object.keys(v).length === 0);

/** `P` when it has every key in `K` (optional or not), else never: a compile error names the message. */
type WithFields<P, K extends PropertyKey> = [Exclude<K, keyof P>] extends [never] ? P : never;

/** Strings where the contract gives "" a meaning of its own: `body` "" is an empty body ("unset means no body"). */
const EMPTY_STRING_IS_A_VALUE = new Set(['body']);

/**
 * A core create input from a proto message: the fields `schema` takes, under the same names
 * (the type requires the message to have each, bar `outputOnly` ones, which are ignored). As
 * proto3 cannot tell "" or an empty list or map from unset, those mean "absent" and the core
 * applies its default; a field the core requires is passed as sent, so the core names what is
 * wrong with it.
 */
function inputFromProto<S extends z.ZodObject, P extends object, X extends keyof z.input<S> & string = never>(
  schema: S,
  msg: WithFields<P, Exclude<keyof z.input<S>, X>> | undefined,
  outputOnly: readonly X[] = [],
): z.input<S> {
  const fields = (msg ?? {}) as Record<string, unknown>;
  const input: Record<string, unknown> = {};
  for (const { field, required } of fieldsOf(schema)) {
    if ((outputOnly as readonly string[]).includes(field)) continue;
    const value = fields[field];
    const empty = isEmpty(value) && !(value === '' && EMPTY_STRING_IS_A_VALUE.has(field));
    if (value !== undefined && (required || !empty)) input[field] = value;
  }
  return input as z.input<S>;
}

/** A schema's fields and whether each is required, worked out once per schema (a batch create reads them for every job). */
const schemaFields = new WeakMap<z.ZodObject, ReadonlyArray<{ field: string; required: boolean }>>();
function fieldsOf(schema: z.ZodObject): ReadonlyArray<{ field: string; required: boolean }> {
  let out = schemaFields.get(schema);
  if (!out) {
    out = Object.entries(schema.shape).map(([field, fieldSchema]) => ({ field, required: !(fieldSchema as z.ZodType).safeParse(undefined).success }));
    schemaFields.set(schema, out);
  }
  return out;
}

// ---- Schedules ----

/** The proto contract makes `state` output only: it changes through PauseSchedule and ResumeSchedule. */
const SCHEDULE_OUTPUT_ONLY = ['state'] as const;
const { state: _outputOnly, ...GRPC_SCHEDULE_UPDATABLE } = SCHEDULE_UPDATABLE;

export const scheduleToProto = (s: Schedule): ProtoSchedule => fromView(ProtoSchedule, views.scheduleView(s));

export const scheduleFromProto = (msg: ProtoSchedule | undefined): ScheduleInput => inputFromProto(scheduleInput, msg, SCHEDULE_OUTPUT_ONLY);

export function schedulePatchFromProto(msg: ProtoSchedule | undefined, updateMask: string[] | undefined): SchedulePatch {
  return patchFromProto(msg, updateMask, GRPC_SCHEDULE_UPDATABLE, 'Schedule');
}

/** Paging plus the `state` filter of ListSchedules ("" = every state; the core checks the state). */
export function scheduleListFromProto(req: ListSchedulesRequest): PageRequest & { state?: ScheduleState } {
  return { ...pageFromProto(req), state: given(req.state) as ScheduleState | undefined };
}

// ---- Jobs and executions ----

export const jobToProto = (j: Job): ProtoJob => fromView(ProtoJob, views.jobView(j));

export const jobFromProto = (msg: ProtoJob | undefined): JobInput => inputFromProto(jobInput, msg);

/** CreateJobs' results: each job, or its error as CreateJob alone would have answered it. */
export function jobBatchToProto(results: readonly JobBatchResult[]): CreateJobsResponse {
  return {
    results: results.map((r) =>
      r.error ? { index: r.index, error: toGrpcItemError(r.error), created: false } : { index: r.index, job: jobToProto(r.job), created: r.created },
    ),
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

export const monitorFromProto = (msg: ProtoMonitor | undefined): MonitorInput => inputFromProto(monitorInput, msg);

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

export const pingToProto = (p: Ping): ProtoPing => fromView(ProtoPing, views.pingView(p));

/** `exit_status` of RecordPing: unset is none (the core checks the range). */
export const exitStatusFromProto = (exitStatus: number | undefined): number | null => exitStatus ?? null;

// ---- Flips and alerts ----

export const flipToProto = (f: Flip): ProtoFlip => fromView(ProtoFlip, views.flipView(f));

export const alertToProto = (a: Alert): ProtoAlert => fromView(ProtoAlert, views.alertView(a));

/** The subject and page of ListFlips and ListAlerts; the core checks the subject type ("" included). */
export function subjectPageFromProto<S extends FlipSubject | AlertSubject>(req: {
  subjectType: string;
  subjectId: string;
  pageSize: number;
  pageToken: string;
}): { subjectType: S; subjectId: string; page: PageRequest } {
  return { subjectType: req.subjectType as S, subjectId: req.subjectId, page: pageFromProto(req) };
}

// ---- Projects and keys ----

/** The Project message has no retention field yet: `retentionDays` is set through tRPC, REST (Prikke) and sync. */
export const projectToProto = (p: Project): ProtoProject => {
  const { retentionDays: _notInProto, ...view } = views.projectView(p);
  return fromView(ProtoProject, view);
};

export const projectFromProto = (msg: ProtoProject | undefined): ProjectInput => inputFromProto(projectInput, msg, ['retentionDays']);

/** Without `retentionDays` (not in the message): a `*` mask must not clear what gRPC cannot show. */
const { retentionDays: _retentionNotInProto, ...GRPC_PROJECT_UPDATABLE } = PROJECT_UPDATABLE;

export function projectPatchFromProto(msg: ProtoProject | undefined, updateMask: string[] | undefined): ProjectPatch {
  return patchFromProto(msg, updateMask, GRPC_PROJECT_UPDATABLE, 'Project');
}

export const keyToProto = (k: ApiKey): ProtoKey => fromView(ProtoKey, views.keyView(k));

export const keyFromProto = (msg: ProtoKey | undefined): KeyInput => inputFromProto(keyInput, msg);

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
const isDefault = (v: unknown) => v === undefined || isEmpty(v);

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
