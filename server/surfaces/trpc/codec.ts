import type { Core } from '../../core/index.js';
import type { JobBatchResult } from '../../core/jobs/service.js';
import { toTrpcItemError, type TrpcItemError } from './errors.js';
import type { Alert, ApiKey, Execution, Flip, Job, Monitor, Page, Ping, Project, Schedule } from '../../core/types.js';
import { pageResponse } from '../shared/paging.js';
import * as views from '../shared/views.js';

/**
 * Domain objects -> wire objects of the tRPC surface: the shared views (see shared/views.ts),
 * field names as they are (camelCase), Dates as ISO-8601 strings.
 */

/** `T` with every Date field (nullable or not) as an ISO-8601 string. */
export type IsoDates<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

/** A schedule on the wire. */
export type WireSchedule = IsoDates<views.ScheduleView>;
/** A job on the wire. */
export type WireJob = IsoDates<views.JobView>;
/** An execution on the wire. */
export type WireExecution = IsoDates<views.ExecutionView>;
/** A monitor on the wire: no bare `pingToken`, but its full `pingUrl`. */
export type WireMonitor = IsoDates<views.MonitorView>;
/** A project on the wire (its signing secrets only through `projects.getSigningSecrets`). */
export type WireProject = IsoDates<views.ProjectView>;
/** An API key on the wire (never its secret or hash). */
export type WireApiKey = IsoDates<views.KeyView>;
/** A ping of a monitor's log on the wire. */
export type WirePing = IsoDates<views.PingView>;
/** A status change on the wire. */
export type WireFlip = IsoDates<views.FlipView>;
/** An alert on the wire. */
export type WireAlert = IsoDates<views.AlertView>;
/** A project's webhook signing secrets on the wire: `previous` is set while a rotation overlaps. */
export interface WireSigningSecrets {
  current: string;
  previous: string | null;
}
/** One result of `jobs.createMany` on the wire: the job (`created: false` when its idempotency key returned an earlier one), or its error. */
export type WireJobBatchResult = { index: number; job: WireJob; created: boolean; error: null } | { index: number; job: null; created: false; error: TrpcItemError };
/** One page of a list on the wire. */
export type WirePage<T> = Page<T>;

/** A view with its Dates as ISO-8601 strings (views are flat: no Date sits deeper). */
function isoDates<T extends object>(view: T): IsoDates<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(view)) out[k] = v instanceof Date ? v.toISOString() : v;
  return out as IsoDates<T>;
}

/** A page with each item encoded by `one`. */
export const page: <T, W>(p: Page<T>, one: (item: T) => W) => WirePage<W> = pageResponse;

export const schedule = (s: Schedule): WireSchedule => isoDates(views.scheduleView(s));
export const job = (j: Job): WireJob => isoDates(views.jobView(j));
export const execution = (e: Execution): WireExecution => isoDates(views.executionView(e));
/** A monitor, with the ping URL the core builds from its token. */
export const monitor = (core: Core, m: Monitor): WireMonitor => isoDates(views.monitorView(m, core.monitors.pingUrl(m)));
export const project = (p: Project): WireProject => isoDates(views.projectView(p));
export const apiKey = (k: ApiKey): WireApiKey => isoDates(views.keyView(k));
export const ping = (p: Ping): WirePing => isoDates(views.pingView(p));
export const flip = (f: Flip): WireFlip => isoDates(views.flipView(f));
export const alert = (a: Alert): WireAlert => isoDates(views.alertView(a));
export const jobBatch = (results: readonly JobBatchResult[]): { results: WireJobBatchResult[] } => ({
  results: results.map((r) =>
    r.error ? { index: r.index, job: null, created: false, error: toTrpcItemError(r.error) } : { index: r.index, job: job(r.job), created: r.created, error: null },
  ),
});
