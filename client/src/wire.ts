/**
 * The JSON the tRPC surface sends and takes, and the conversion of wire objects into the public
 * types. Internal to the package: `Procedures` lists every procedure the client calls with its
 * exact wire input and output, and is checked against the server's router in Tock's tests.
 */
import type {
  Alert,
  AlertSubject,
  ApiKey,
  CreatedKey,
  Execution,
  Flip,
  FlipSubject,
  Job,
  JobInput,
  JobListRequest,
  KeyInput,
  Monitor,
  MonitorInput,
  MonitorPatch,
  Page,
  PageRequest,
  Ping,
  PingKind,
  Project,
  ProjectInput,
  ProjectPatch,
  Schedule,
  ScheduleInput,
  ScheduleListRequest,
  SchedulePatch,
  SigningSecrets,
  SyncDocument,
  SyncExisting,
  SyncKindReport,
  SyncPlan,
  SyncProgress,
  SyncResult,
} from './types.js';

/** The error of one input of `jobs.createMany` on the wire: what the procedure alone would have answered. */
export interface WireItemError {
  code: string;
  httpStatus: number;
  message: string;
  field: string | null;
  retryAfterMs: number | null;
}

/** `T` as JSON carries it: every Date field (nullable or not) as an ISO-8601 string. */
export type Wire<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

type Id = { id: string };
type WireJobBatchResult =
  | { index: number; job: Wire<Job>; created: boolean; error: null }
  | { index: number; job: null; created: false; error: WireItemError };
type IdPage = { id: string } & PageRequest;
type SyncRequest = { desired: SyncDocument; prune?: boolean };
interface WireSyncReport<T> extends SyncKindReport<SyncExisting> {
  objects: Wire<T>[];
}

/** `sync.run`'s result on the wire: the report and every entry's object as JSON. */
export interface WireSyncResult {
  schedules: WireSyncReport<Schedule>;
  monitors: WireSyncReport<Monitor>;
  jobs: WireSyncReport<Job>;
}
/** What `sync.run` streams: progress while it writes, then the result once. */
export type WireSyncEvent = { progress: SyncProgress } | { result: WireSyncResult };

/** One minute of a project's executions: counts by outcome, first-attempt lateness (null: none started). */
export interface WireActivityMinute {
  minute: string;
  executions: number;
  succeeded: number;
  failed: number;
  latenessMeanMs: number | null;
  latenessMaxMs: number | null;
}
/** `activity.lastHour`: the last 60 whole minutes, oldest first, every minute present. */
export interface WireActivity {
  from: string;
  to: string;
  minutes: WireActivityMinute[];
}

/** Every procedure of the tRPC router: kind, wire input, wire output. */
export interface Procedures {
  'schedules.create': { type: 'mutation'; input: ScheduleInput; output: Wire<Schedule> };
  'schedules.get': { type: 'query'; input: Id; output: Wire<Schedule> };
  'schedules.list': { type: 'query'; input: ScheduleListRequest | undefined; output: Page<Wire<Schedule>> };
  'schedules.update': { type: 'mutation'; input: { id: string; patch: SchedulePatch }; output: Wire<Schedule> };
  'schedules.delete': { type: 'mutation'; input: Id; output: void };
  'schedules.pause': { type: 'mutation'; input: Id; output: Wire<Schedule> };
  'schedules.resume': { type: 'mutation'; input: Id; output: Wire<Schedule> };
  'schedules.trigger': { type: 'mutation'; input: Id; output: Wire<Job> };
  'schedules.listExecutions': { type: 'query'; input: IdPage; output: Page<Wire<Execution>> };
  'jobs.create': { type: 'mutation'; input: JobInput; output: Wire<Job> };
  'jobs.createMany': { type: 'mutation'; input: { jobs: JobInput[] }; output: { results: WireJobBatchResult[] } };
  'jobs.get': { type: 'query'; input: Id; output: Wire<Job> };
  'jobs.list': { type: 'query'; input: JobListRequest | undefined; output: Page<Wire<Job>> };
  'jobs.cancel': { type: 'mutation'; input: Id; output: Wire<Job> };
  'jobs.listExecutions': { type: 'query'; input: IdPage; output: Page<Wire<Execution>> };
  'monitors.create': { type: 'mutation'; input: MonitorInput; output: Wire<Monitor> };
  'monitors.get': { type: 'query'; input: Id; output: Wire<Monitor> };
  'monitors.list': { type: 'query'; input: PageRequest | undefined; output: Page<Wire<Monitor>> };
  'monitors.update': { type: 'mutation'; input: { id: string; patch: MonitorPatch }; output: Wire<Monitor> };
  'monitors.delete': { type: 'mutation'; input: Id; output: void };
  'monitors.pause': { type: 'mutation'; input: Id; output: Wire<Monitor> };
  'monitors.resume': { type: 'mutation'; input: Id; output: Wire<Monitor> };
  'monitors.recordPing': { type: 'mutation'; input: { id: string; kind?: PingKind; body?: string | null; exitStatus?: number | null }; output: Wire<Monitor> };
  'monitors.listPings': { type: 'query'; input: IdPage; output: Page<Wire<Ping>> };
  'projects.create': { type: 'mutation'; input: ProjectInput; output: Wire<Project> };
  'projects.get': { type: 'query'; input: Id; output: Wire<Project> };
  'projects.list': { type: 'query'; input: PageRequest | undefined; output: Page<Wire<Project>> };
  'projects.update': { type: 'mutation'; input: { id: string; patch: ProjectPatch }; output: Wire<Project> };
  'projects.delete': { type: 'mutation'; input: Id; output: void };
  'projects.createKey': { type: 'mutation'; input: KeyInput; output: { key: Wire<ApiKey>; secret: string } };
  'projects.listKeys': { type: 'query'; input: PageRequest | undefined; output: Page<Wire<ApiKey>> };
  'projects.revokeKey': { type: 'mutation'; input: Id; output: Wire<ApiKey> };
  'projects.getSigningSecrets': { type: 'query'; input: Id; output: SigningSecrets };
  'projects.rotateSigningSecret': { type: 'mutation'; input: { id: string; keepPrevious?: boolean }; output: SigningSecrets };
  'projects.getPingKey': { type: 'query'; input: Id; output: { pingKey: string } };
  'projects.rotatePingKey': { type: 'mutation'; input: Id; output: { pingKey: string } };
  'alerts.list': { type: 'query'; input: { subjectType: AlertSubject; subjectId: string } & PageRequest; output: Page<Wire<Alert>> };
  'flips.list': { type: 'query'; input: { subjectType: FlipSubject; subjectId: string } & PageRequest; output: Page<Wire<Flip>> };
  'sync.plan': { type: 'mutation'; input: SyncRequest; output: SyncPlan };
  /** Streamed (JSON lines): call it through `httpBatchStreamLink`. tRPC delivers no return value of a stream, hence `never`. */
  'sync.run': { type: 'mutation'; input: SyncRequest; output: AsyncIterable<WireSyncEvent, never, unknown> };
  'activity.lastHour': { type: 'query'; input: void; output: WireActivity };
}

/** Procedures whose output is streamed. */
export const STREAMED_PROCEDURES: ReadonlySet<ProcedurePath> = new Set<ProcedurePath>(['sync.run']);

/** Path of a procedure, e.g. `schedules.get`. */
export type ProcedurePath = keyof Procedures;

/** Whether each procedure is called as a query (GET) or a mutation (POST). */
export const PROCEDURE_TYPES: { readonly [P in ProcedurePath]: Procedures[P]['type'] } = {
  'schedules.create': 'mutation',
  'schedules.get': 'query',
  'schedules.list': 'query',
  'schedules.update': 'mutation',
  'schedules.delete': 'mutation',
  'schedules.pause': 'mutation',
  'schedules.resume': 'mutation',
  'schedules.trigger': 'mutation',
  'schedules.listExecutions': 'query',
  'jobs.create': 'mutation',
  'jobs.createMany': 'mutation',
  'jobs.get': 'query',
  'jobs.list': 'query',
  'jobs.cancel': 'mutation',
  'jobs.listExecutions': 'query',
  'monitors.create': 'mutation',
  'monitors.get': 'query',
  'monitors.list': 'query',
  'monitors.update': 'mutation',
  'monitors.delete': 'mutation',
  'monitors.pause': 'mutation',
  'monitors.resume': 'mutation',
  'monitors.recordPing': 'mutation',
  'monitors.listPings': 'query',
  'projects.create': 'mutation',
  'projects.get': 'query',
  'projects.list': 'query',
  'projects.update': 'mutation',
  'projects.delete': 'mutation',
  'projects.createKey': 'mutation',
  'projects.listKeys': 'query',
  'projects.revokeKey': 'mutation',
  'projects.getSigningSecrets': 'query',
  'projects.rotateSigningSecret': 'mutation',
  'projects.getPingKey': 'query',
  'projects.rotatePingKey': 'mutation',
  'alerts.list': 'query',
  'flips.list': 'query',
  'sync.plan': 'mutation',
  'sync.run': 'mutation',
  'activity.lastHour': 'query',
};

const date = (s: string): Date => new Date(s);
const dateOrNull = (s: string | null): Date | null => (s === null ? null : new Date(s));

/** A wire page with each item decoded. */
export function decodePage<W, T>(page: Page<W>, decode: (w: W) => T): Page<T> {
  return { items: page.items.map(decode), nextPageToken: page.nextPageToken };
}

/** Wire schedule -> Schedule (dates as Date). */
export function decodeSchedule(w: Wire<Schedule>): Schedule {
  return {
    ...w,
    nextRunAt: dateOrNull(w.nextRunAt),
    lastRunAt: dateOrNull(w.lastRunAt),
    createdAt: date(w.createdAt),
    updatedAt: date(w.updatedAt),
  };
}

/** Wire job -> Job. */
export function decodeJob(w: Wire<Job>): Job {
  return {
    ...w,
    scheduledAt: date(w.scheduledAt),
    nextAttemptAt: dateOrNull(w.nextAttemptAt),
    createdAt: date(w.createdAt),
    updatedAt: date(w.updatedAt),
    finishedAt: dateOrNull(w.finishedAt),
  };
}

/** Wire execution -> Execution. */
export function decodeExecution(w: Wire<Execution>): Execution {
  return { ...w, startedAt: date(w.startedAt), finishedAt: date(w.finishedAt) };
}

/** Wire monitor -> Monitor. */
export function decodeMonitor(w: Wire<Monitor>): Monitor {
  return {
    ...w,
    lastPingAt: dateOrNull(w.lastPingAt),
    lastStartAt: dateOrNull(w.lastStartAt),
    nextDeadlineAt: dateOrNull(w.nextDeadlineAt),
    lastAlertAt: dateOrNull(w.lastAlertAt),
    statusChangedAt: dateOrNull(w.statusChangedAt),
    createdAt: date(w.createdAt),
    updatedAt: date(w.updatedAt),
  };
}

/** Wire project -> Project. */
export function decodeProject(w: Wire<Project>): Project {
  return { ...w, createdAt: date(w.createdAt), updatedAt: date(w.updatedAt) };
}

/** Wire key -> ApiKey. */
export function decodeApiKey(w: Wire<ApiKey>): ApiKey {
  return { ...w, createdAt: date(w.createdAt), lastUsedAt: dateOrNull(w.lastUsedAt), revokedAt: dateOrNull(w.revokedAt) };
}

/** Wire createKey result -> CreatedKey. */
export function decodeCreatedKey(w: { key: Wire<ApiKey>; secret: string }): CreatedKey {
  return { key: decodeApiKey(w.key), secret: w.secret };
}

/** Wire ping -> Ping. */
export function decodePing(w: Wire<Ping>): Ping {
  return { ...w, receivedAt: date(w.receivedAt) };
}

/** Wire flip -> Flip. */
export function decodeFlip(w: Wire<Flip>): Flip {
  return { ...w, at: date(w.at) };
}

/** Wire alert -> Alert. */
export function decodeAlert(w: Wire<Alert>): Alert {
  return { ...w, nextAttemptAt: date(w.nextAttemptAt), createdAt: date(w.createdAt), sentAt: dateOrNull(w.sentAt) };
}

/** Wire sync result -> SyncResult (each kind's objects decoded). */
export function decodeSyncResult(w: WireSyncResult): SyncResult {
  return {
    schedules: { ...w.schedules, objects: w.schedules.objects.map(decodeSchedule) },
    monitors: { ...w.monitors, objects: w.monitors.objects.map(decodeMonitor) },
    jobs: { ...w.jobs, objects: w.jobs.objects.map(decodeJob) },
  };
}
