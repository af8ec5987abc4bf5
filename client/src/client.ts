import { createTRPCUntypedClient, httpBatchLink, httpBatchStreamLink, splitLink, TRPCClientError } from '@trpc/client';
import { ConnectionError, errorFromResponse, type TockError } from './errors.js';
import type {
  Alert,
  AlertSubject,
  ApiKey,
  CreatedKey,
  Execution,
  Flip,
  FlipSubject,
  IterateOptions,
  Job,
  JobBatchResult,
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
  RecordPingOptions,
  RotateSigningSecretOptions,
  Schedule,
  ScheduleInput,
  ScheduleListRequest,
  SchedulePatch,
  SigningSecrets,
  SyncApplyOptions,
  SyncDocument,
  SyncPlan,
  SyncPlanOptions,
  SyncResult,
} from './types.js';
import {
  decodeAlert,
  decodeApiKey,
  decodeCreatedKey,
  decodeExecution,
  decodeFlip,
  decodeJob,
  decodeMonitor,
  decodePage,
  decodePing,
  decodeProject,
  decodeSchedule,
  decodeSyncResult,
  PROCEDURE_TYPES,
  STREAMED_PROCEDURES,
  type ProcedurePath,
  type Procedures,
} from './wire.js';

/** Options of `createClient`. */
export interface ClientOptions {
  /** Base URL of the Tock server, e.g. `http://localhost:8080`; the client calls `${url}/trpc`. */
  url: string;
  /** API key (`tock_...`), sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Project to act on (`X-Tock-Project`); default: the key's own project, or the account's first. */
  project?: string;
  /** fetch implementation; default the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

/** Schedules of the project: recurring HTTP calls. */
export interface SchedulesClient {
  /** Creates a schedule. @throws ValidationError (e.g. `field: 'cron'`), ConflictError when `key` is taken. */
  create(input: ScheduleInput): Promise<Schedule>;
  /** @throws NotFoundError */
  get(id: string): Promise<Schedule>;
  /** One page, oldest first, optionally only `active` or only `paused` schedules. */
  list(request?: ScheduleListRequest): Promise<Page<Schedule>>;
  /** Every matching schedule, fetching pages as the loop goes. */
  iterate(filter?: Omit<ScheduleListRequest, 'pageToken' | 'pageSize'> & IterateOptions): AsyncIterableIterator<Schedule>;
  /** Absent fields stay unchanged; `null` clears. */
  update(id: string, patch: SchedulePatch): Promise<Schedule>;
  /** Deletes the schedule; its jobs that have not started are cancelled, history stays. */
  delete(id: string): Promise<void>;
  /** Stops ticking (idempotent). */
  pause(id: string): Promise<Schedule>;
  /** Ticks again from now on; ticks missed while paused are not caught up. */
  resume(id: string): Promise<Schedule>;
  /** Runs the schedule's call now as a job of its own; the next run does not move. */
  trigger(id: string): Promise<Job>;
  /** One page of the executions of every job of the schedule, newest first. */
  listExecutions(id: string, page?: PageRequest): Promise<Page<Execution>>;
  /** Every execution of the schedule, newest first. */
  iterateExecutions(id: string, options?: IterateOptions): AsyncIterableIterator<Execution>;
}

/** Jobs of the project: one-time calls and the jobs spawned by schedules. */
export interface JobsClient {
  /** Creates a one-time job. @throws ConflictError when `idempotencyKey` was used for a different call. */
  create(input: JobInput): Promise<Job>;
  /**
   * Creates up to 1,000 one-time jobs in one call (one statement on the server). Each input is
   * taken as `create` takes it; one that fails gets its error (a `TockError` subclass, as
   * `create` would throw) in its result, and the others are still created. Results are in the
   * order of `inputs`.
   * @throws ValidationError (`field: 'jobs'`) for no inputs or more than 1,000.
   */
  createMany(inputs: JobInput[]): Promise<JobBatchResult[]>;
  /** @throws NotFoundError */
  get(id: string): Promise<Job>;
  /** One page, newest first, optionally filtered by status or schedule. */
  list(request?: JobListRequest): Promise<Page<Job>>;
  /** Every matching job, newest first. */
  iterate(filter?: Omit<JobListRequest, 'pageToken' | 'pageSize'> & IterateOptions): AsyncIterableIterator<Job>;
  /** Cancels a job that has not started (cancelling twice is fine). @throws ConflictError when it already ran. */
  cancel(id: string): Promise<Job>;
  /** One page of the job's attempts, newest first. */
  listExecutions(id: string, page?: PageRequest): Promise<Page<Execution>>;
  /** Every attempt of the job, newest first. */
  iterateExecutions(id: string, options?: IterateOptions): AsyncIterableIterator<Execution>;
}

/** Heartbeat monitors of the project. */
export interface MonitorsClient {
  /** Creates a monitor; ping it at `monitor.pingUrl` (see `ping()`). */
  create(input: MonitorInput): Promise<Monitor>;
  /** @throws NotFoundError */
  get(id: string): Promise<Monitor>;
  /** One page, oldest first. */
  list(page?: PageRequest): Promise<Page<Monitor>>;
  /** Every monitor. */
  iterate(options?: IterateOptions): AsyncIterableIterator<Monitor>;
  /** Absent fields stay unchanged; `null` clears. */
  update(id: string, patch: MonitorPatch): Promise<Monitor>;
  /** Deletes the monitor and its pings. */
  delete(id: string): Promise<void>;
  /** Ignores deadlines until resumed. */
  pause(id: string): Promise<Monitor>;
  /** Back to `new`: waits for the next ping. */
  resume(id: string): Promise<Monitor>;
  /** Records a ping through the API (needs a key; the ping URL does not). */
  recordPing(id: string, kind?: PingKind, options?: RecordPingOptions): Promise<Monitor>;
  /** One page of the monitor's ping log, newest first. */
  listPings(id: string, page?: PageRequest): Promise<Page<Ping>>;
}

/** Alerts (one per event and channel) about monitors, schedules and jobs. */
export interface AlertsClient {
  /** One page of a subject's alerts, newest first. @throws NotFoundError for an unknown subject. */
  list(subjectType: AlertSubject, subjectId: string, page?: PageRequest): Promise<Page<Alert>>;
}

/** Status changes (flips) of monitors and schedules, kept whether or not anything was alerted. */
export interface FlipsClient {
  /** One page of a subject's flips, newest first. @throws NotFoundError for an unknown subject. */
  list(subjectType: FlipSubject, subjectId: string, page?: PageRequest): Promise<Page<Flip>>;
}

/** Projects and API keys of the key's account. */
export interface ProjectsClient {
  /** @throws PermissionError for keys limited to one project. */
  create(input: ProjectInput): Promise<Project>;
  /** @throws NotFoundError */
  get(id: string): Promise<Project>;
  /** One page, oldest first. */
  list(page?: PageRequest): Promise<Page<Project>>;
  /** Every project the key reaches. */
  iterate(options?: IterateOptions): AsyncIterableIterator<Project>;
  /** Renames the project; absent fields stay unchanged. */
  update(id: string, patch: ProjectPatch): Promise<Project>;
  /** Deletes the project and everything in it. @throws ConflictError for the account's last project. */
  delete(id: string): Promise<void>;
  /** Creates a key; `secret` is returned only here. */
  createKey(input?: KeyInput): Promise<CreatedKey>;
  /** One page of keys (revoked ones included), oldest first. */
  listKeys(page?: PageRequest): Promise<Page<ApiKey>>;
  /** Every key. */
  iterateKeys(options?: IterateOptions): AsyncIterableIterator<ApiKey>;
  /** Revokes the key at once (idempotent). */
  revokeKey(id: string): Promise<ApiKey>;
  /**
   * The project's webhook signing secrets, for `verifyWebhook`. Needs the `write:projects` scope.
   * @throws NotFoundError for a project the key cannot reach; PermissionError without the scope.
   */
  getSigningSecrets(projectId: string): Promise<SigningSecrets>;
  /**
   * Starts signing with a new secret and returns both. The old one keeps signing alongside until
   * the next rotation, so receivers can switch over; `{ keepPrevious: false }` drops it at once.
   */
  rotateSigningSecret(projectId: string, options?: RotateSigningSecretOptions): Promise<SigningSecrets>;
  /** The project's ping key, for `/ping/<ping key>/<monitor key>`. Needs the `write:monitors` scope. */
  getPingKey(projectId: string): Promise<string>;
  /** Replaces the ping key: URLs with the old one stop working at once. */
  rotatePingKey(projectId: string): Promise<string>;
}

/**
 * Declarative sync of the project: bring its schedules, monitors and one-time jobs to what a
 * document describes, matched by key (the same engine as `tock sync <file>`).
 */
export interface SyncClient {
  /** What `apply` would do now, writing nothing. Needs only read scopes. @throws ValidationError naming the entry (`schedules[2].cron`). */
  plan(document: SyncDocument, options?: SyncPlanOptions): Promise<SyncPlan>;
  /**
   * Makes the project match the document; applying it again reports everything unchanged.
   * Nothing is written unless every entry is valid. `onProgress` follows the writes.
   */
  apply(document: SyncDocument, options?: SyncApplyOptions): Promise<SyncResult>;
}

/** A Tock API client: see `createClient`. */
export interface TockClient {
  schedules: SchedulesClient;
  jobs: JobsClient;
  monitors: MonitorsClient;
  projects: ProjectsClient;
  alerts: AlertsClient;
  flips: FlipsClient;
  sync: SyncClient;
}

/** Most calls per batched request; the server accepts up to 50. */
const MAX_BATCH_ITEMS = 50;
/** Keeps batched GET URLs short enough for proxies. */
const MAX_URL_LENGTH = 4000;

interface ErrorData {
  code?: unknown;
  httpStatus?: unknown;
  tockCode?: unknown;
  field?: unknown;
  retryAfterMs?: unknown;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Rebuilds the typed error from what the tRPC client reports. */
function toTockError(err: unknown): unknown {
  if (!(err instanceof TRPCClientError)) return err;
  const data = (err.data ?? undefined) as ErrorData | undefined;
  const status = num(data?.httpStatus) ?? num((err.meta?.response as { status?: unknown } | undefined)?.status);
  if (status === null) {
    return new ConnectionError(`Could not reach Tock: ${err.message}`, { code: 'connection_failed', status: 0, cause: err });
  }
  const trpcCode = str(data?.code);
  return errorFromResponse({
    message: err.message,
    status,
    code: str(data?.tockCode) ?? (trpcCode ? trpcCode.toLowerCase() : null),
    field: str(data?.field),
    retryAfterMs: num(data?.retryAfterMs),
    cause: err,
  });
}

async function* paginate<T>(fetchPage: (pageToken: string | null) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
  let token: string | null = null;
  do {
    const page: Page<T> = await fetchPage(token);
    yield* page.items;
    token = page.nextPageToken;
  } while (token);
}

/**
 * Creates a client of a Tock server's tRPC API. Calls made in the same tick are batched into
 * one HTTP request. Every failure is thrown as a `TockError` subclass (`NotFoundError`,
 * `ValidationError`, ...); every date is a `Date`.
 *
 * @example
 * const tock = createClient({ url: 'http://localhost:8080', apiKey: process.env.TOCK_API_KEY! });
 * const schedule = await tock.schedules.create({ url: 'https://example.com/hook', cron: '0 9 * * *' });
 */
export function createClient(options: ClientOptions): TockClient {
  if (!options.url) throw new TypeError('createClient: `url` is required (e.g. http://localhost:8080)');
  if (!options.apiKey) throw new TypeError('createClient: `apiKey` is required');
  const headers: Record<string, string> = { ...options.headers, authorization: `Bearer ${options.apiKey}` };
  if (options.project) headers['x-tock-project'] = options.project;
  const url = `${options.url.replace(/\/+$/, '')}/trpc`;
  const trpc = createTRPCUntypedClient({
    links: [
      splitLink({
        // Streamed outputs (JSON lines) go on a request of their own.
        condition: (op) => STREAMED_PROCEDURES.has(op.path as ProcedurePath),
        true: httpBatchStreamLink({ url, headers: () => headers, fetch: options.fetch, maxItems: 1 }),
        false: httpBatchLink({ url, headers: () => headers, fetch: options.fetch, maxItems: MAX_BATCH_ITEMS, maxURLLength: MAX_URL_LENGTH }),
      }),
    ],
  });

  async function call<P extends ProcedurePath>(path: P, input: Procedures[P]['input']): Promise<Procedures[P]['output']> {
    try {
      const result = PROCEDURE_TYPES[path] === 'query' ? await trpc.query(path, input) : await trpc.mutation(path, input);
      return result as Procedures[P]['output'];
    } catch (err) {
      throw toTockError(err) as TockError;
    }
  }

  const pageOf = (page: PageRequest | undefined): PageRequest => ({ pageSize: page?.pageSize, pageToken: page?.pageToken });

  const schedules: SchedulesClient = {
    create: async (input) => decodeSchedule(await call('schedules.create', input)),
    get: async (id) => decodeSchedule(await call('schedules.get', { id })),
    list: async (request) => decodePage(await call('schedules.list', { ...pageOf(request), state: request?.state }), decodeSchedule),
    iterate: (filter) => paginate((pageToken) => schedules.list({ state: filter?.state, pageSize: filter?.pageSize, pageToken })),
    update: async (id, patch) => decodeSchedule(await call('schedules.update', { id, patch })),
    delete: async (id) => {
      await call('schedules.delete', { id });
    },
    pause: async (id) => decodeSchedule(await call('schedules.pause', { id })),
    resume: async (id) => decodeSchedule(await call('schedules.resume', { id })),
    trigger: async (id) => decodeJob(await call('schedules.trigger', { id })),
    listExecutions: async (id, page) => decodePage(await call('schedules.listExecutions', { id, ...pageOf(page) }), decodeExecution),
    iterateExecutions: (id, opts) => paginate((pageToken) => schedules.listExecutions(id, { pageSize: opts?.pageSize, pageToken })),
  };

  const jobs: JobsClient = {
    create: async (input) => decodeJob(await call('jobs.create', input)),
    createMany: async (inputs) =>
      (await call('jobs.createMany', { jobs: inputs })).results.map((r): JobBatchResult =>
        r.error
          ? { index: r.index, job: null, created: false, error: errorFromResponse({ ...r.error, status: r.error.httpStatus }) }
          : { index: r.index, job: decodeJob(r.job), created: r.created, error: null },
      ),
    get: async (id) => decodeJob(await call('jobs.get', { id })),
    list: async (request) =>
      decodePage(
        await call('jobs.list', { ...pageOf(request), status: request?.status, scheduleId: request?.scheduleId }),
        decodeJob,
      ),
    iterate: (filter) =>
      paginate((pageToken) => jobs.list({ status: filter?.status, scheduleId: filter?.scheduleId, pageSize: filter?.pageSize, pageToken })),
    cancel: async (id) => decodeJob(await call('jobs.cancel', { id })),
    listExecutions: async (id, page) => decodePage(await call('jobs.listExecutions', { id, ...pageOf(page) }), decodeExecution),
    iterateExecutions: (id, opts) => paginate((pageToken) => jobs.listExecutions(id, { pageSize: opts?.pageSize, pageToken })),
  };

  const monitors: MonitorsClient = {
    create: async (input) => decodeMonitor(await call('monitors.create', input)),
    get: async (id) => decodeMonitor(await call('monitors.get', { id })),
    list: async (page) => decodePage(await call('monitors.list', pageOf(page)), decodeMonitor),
    iterate: (opts) => paginate((pageToken) => monitors.list({ pageSize: opts?.pageSize, pageToken })),
    update: async (id, patch) => decodeMonitor(await call('monitors.update', { id, patch })),
    delete: async (id) => {
      await call('monitors.delete', { id });
    },
    pause: async (id) => decodeMonitor(await call('monitors.pause', { id })),
    resume: async (id) => decodeMonitor(await call('monitors.resume', { id })),
    recordPing: async (id, kind = 'success', opts) =>
      decodeMonitor(
        await call('monitors.recordPing', {
          id,
          kind,
          ...(opts?.body === undefined ? {} : { body: opts.body }),
          ...(opts?.exitStatus === undefined ? {} : { exitStatus: opts.exitStatus }),
        }),
      ),
    listPings: async (id, page) => decodePage(await call('monitors.listPings', { id, ...pageOf(page) }), decodePing),
  };

  const projects: ProjectsClient = {
    create: async (input) => decodeProject(await call('projects.create', input)),
    get: async (id) => decodeProject(await call('projects.get', { id })),
    list: async (page) => decodePage(await call('projects.list', pageOf(page)), decodeProject),
    iterate: (opts) => paginate((pageToken) => projects.list({ pageSize: opts?.pageSize, pageToken })),
    update: async (id, patch) => decodeProject(await call('projects.update', { id, patch })),
    delete: async (id) => {
      await call('projects.delete', { id });
    },
    createKey: async (input) => decodeCreatedKey(await call('projects.createKey', input ?? {})),
    listKeys: async (page) => decodePage(await call('projects.listKeys', pageOf(page)), decodeApiKey),
    iterateKeys: (opts) => paginate((pageToken) => projects.listKeys({ pageSize: opts?.pageSize, pageToken })),
    revokeKey: async (id) => decodeApiKey(await call('projects.revokeKey', { id })),
    getSigningSecrets: (id) => call('projects.getSigningSecrets', { id }),
    rotateSigningSecret: (id, opts) =>
      call('projects.rotateSigningSecret', { id, ...(opts?.keepPrevious === undefined ? {} : { keepPrevious: opts.keepPrevious }) }),
    getPingKey: async (id) => (await call('projects.getPingKey', { id })).pingKey,
    rotatePingKey: async (id) => (await call('projects.rotatePingKey', { id })).pingKey,
  };

  const alerts: AlertsClient = {
    list: async (subjectType, subjectId, page) => decodePage(await call('alerts.list', { subjectType, subjectId, ...pageOf(page) }), decodeAlert),
  };

  const flips: FlipsClient = {
    list: async (subjectType, subjectId, page) => decodePage(await call('flips.list', { subjectType, subjectId, ...pageOf(page) }), decodeFlip),
  };

  const sync: SyncClient = {
    plan: (document, opts) => call('sync.plan', { desired: document, ...(opts?.prune === undefined ? {} : { prune: opts.prune }) }),
    apply: async (document, opts) => {
      try {
        const events = await call('sync.run', { desired: document, ...(opts?.prune === undefined ? {} : { prune: opts.prune }) });
        for await (const e of events) {
          if ('result' in e) return decodeSyncResult(e.result);
          opts?.onProgress?.(e.progress);
        }
      } catch (err) {
        throw toTockError(err) as TockError;
      }
      throw new ConnectionError('The sync stream ended without a result (the connection was cut); run the same sync again: it finishes what is left', {
        code: 'connection_failed',
        status: 0,
      });
    },
  };

  return { schedules, jobs, monitors, projects, alerts, flips, sync };
}
