/**
 * `@tock/client/grpc`: clients of Tock's gRPC API (`proto/tock/v1`), generated with ts-proto for
 * `@grpc/grpc-js`, with the API key attached to every call. A separate entry point, so the main
 * `@tock/client` entry does not load any gRPC code.
 *
 * @example
 * import { createGrpcClients, Schedule } from '@tock/client/grpc';
 *
 * const tock = createGrpcClients({ address: 'localhost:50051', apiKey: process.env.TOCK_API_KEY! });
 * tock.schedules.createSchedule({ schedule: Schedule.fromPartial({ url: 'https://example.com/hook', cron: '0 9 * * *' }) }, (err, s) => {
 *   if (err) throw err;
 *   console.log(s.id, s.nextRunAt);
 *   tock.close();
 * });
 *
 * @packageDocumentation
 */
import { credentials as grpcCredentials, InterceptingCall, type ChannelCredentials, type ClientOptions, type Interceptor } from '@grpc/grpc-js';
import { AlertServiceClient } from './gen/tock/v1/alert.js';
import { JobServiceClient } from './gen/tock/v1/job.js';
import { MonitorServiceClient } from './gen/tock/v1/monitor.js';
import { ProjectServiceClient } from './gen/tock/v1/project.js';
import { ScheduleServiceClient } from './gen/tock/v1/schedule.js';

/** Options of `createGrpcClients`. */
export interface GrpcClientsOptions {
  /** `host:port` of Tock's gRPC server, e.g. `localhost:50051`. */
  address: string;
  /** API key (`tock_...`), sent as `authorization: Bearer <key>` metadata on every call. */
  apiKey: string;
  /** Project to act on (`x-tock-project` metadata); default: the key's own project, or the account's first. */
  project?: string;
  /**
   * TLS to a server started with `TOCK_GRPC_TLS_CERT`/`TOCK_GRPC_TLS_KEY` (or behind a TLS proxy):
   * `true` trusts the system's root certificates; `{ ca }` trusts that PEM certificate (or
   * bundle) instead, e.g. a self-signed server certificate. Default: plaintext.
   */
  tls?: true | GrpcTlsOptions;
  /** Channel credentials of your own (e.g. client certificates); exclusive with `tls`. Default: plaintext. */
  credentials?: ChannelCredentials;
  /** Further `@grpc/grpc-js` client options (keepalive, message sizes, ...); `interceptors` are added after the key's. */
  clientOptions?: Partial<ClientOptions>;
}

/** What `tls` trusts. */
export interface GrpcTlsOptions {
  /** PEM certificate(s) of the authorities (or the self-signed server certificate) to trust; default: the system's roots. */
  ca?: string | Buffer;
}

/** The tock.v1 service clients, sharing one channel to the server. */
export interface TockGrpcClients {
  /** tock.v1.ScheduleService: recurring HTTP calls. */
  schedules: ScheduleServiceClient;
  /** tock.v1.JobService: one-time jobs and the jobs spawned by schedules. */
  jobs: JobServiceClient;
  /** tock.v1.MonitorService: heartbeat monitors. */
  monitors: MonitorServiceClient;
  /** tock.v1.ProjectService: projects, API keys and ping keys of the key's account. */
  projects: ProjectServiceClient;
  /** tock.v1.AlertService: flips and alerts of monitors, schedules and jobs. */
  alerts: AlertServiceClient;
  /** Closes the shared channel; calls made afterwards fail. */
  close(): void;
}

/**
 * An interceptor that puts `authorization: Bearer <apiKey>` (and `x-tock-project` when
 * `project` is given) on every call. Metadata passed to a call wins: a call can still choose
 * another project with its own `x-tock-project`.
 */
export function tockAuthInterceptor(apiKey: string, project?: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        // A copy: callers may reuse one Metadata object for many calls (and clients).
        const md = metadata.clone();
        if (md.get('authorization').length === 0) md.set('authorization', `Bearer ${apiKey}`);
        if (project && md.get('x-tock-project').length === 0) md.set('x-tock-project', project);
        next(md, listener);
      },
    });
}

/**
 * Creates the generated clients of the tock.v1 services for one server and key. They share
 * one channel, and every call carries the key (an interceptor, so it works over plaintext
 * channels too, where gRPC refuses call credentials).
 *
 * @throws TypeError when `address` or `apiKey` is empty, or both `tls` and `credentials` are given.
 */
export function createGrpcClients(options: GrpcClientsOptions): TockGrpcClients {
  if (!options.address) throw new TypeError('createGrpcClients: `address` is required (e.g. localhost:50051)');
  if (!options.apiKey) throw new TypeError('createGrpcClients: `apiKey` is required');
  if (options.tls && options.credentials) throw new TypeError('createGrpcClients: pass either `tls` or `credentials`, not both');
  const creds = options.credentials ?? (options.tls ? tlsCredentials(options.tls) : grpcCredentials.createInsecure());
  const clientOptions: Partial<ClientOptions> = {
    ...options.clientOptions,
    interceptors: [tockAuthInterceptor(options.apiKey, options.project), ...(options.clientOptions?.interceptors ?? [])],
  };
  const schedules = new ScheduleServiceClient(options.address, creds, clientOptions);
  const shared = { ...clientOptions, channelOverride: schedules.getChannel() };
  return {
    schedules,
    jobs: new JobServiceClient(options.address, creds, shared),
    monitors: new MonitorServiceClient(options.address, creds, shared),
    projects: new ProjectServiceClient(options.address, creds, shared),
    alerts: new AlertServiceClient(options.address, creds, shared),
    close: () => schedules.close(),
  };
}

function tlsCredentials(tls: true | GrpcTlsOptions): ChannelCredentials {
  const ca = tls === true ? undefined : tls.ca;
  return grpcCredentials.createSsl(ca === undefined ? null : Buffer.isBuffer(ca) ? ca : Buffer.from(ca));
}

/** What Tock says about a failed gRPC call, read from its status and trailing metadata. */
export interface TockGrpcError {
  /** The gRPC status code (`status.NOT_FOUND`, ...). */
  status: number;
  /** Tock's stable error code (`not_found`, `invalid_cron`, `job_already_executed`, ...); `internal` when the server sent none. */
  code: string;
  /** snake_case path of the offending field, when the error is about one (percent-encoded if it holds non-ASCII characters). */
  field: string | null;
  /** The server's message. */
  message: string;
  /** For `rate_limited`: how long to wait before retrying, when the server said. */
  retryAfterMs: number | null;
}

/**
 * Reads Tock's error details from an error a generated client passed to its callback: the
 * stable `code` from the `tock-error-code` trailer, the `field` from `tock-error-field`.
 * Returns null for anything that is not a gRPC call error.
 */
export function tockGrpcError(err: unknown): TockGrpcError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { code?: unknown; details?: unknown; metadata?: { get(key: string): unknown[] } };
  if (typeof e.code !== 'number' || typeof e.metadata?.get !== 'function') return null;
  const first = (key: string): string | null => {
    const v = e.metadata!.get(key)[0];
    return typeof v === 'string' && v !== '' ? v : null;
  };
  const field = first('tock-error-field');
  const retryAfter = first('tock-retry-after-ms');
  return {
    status: e.code,
    code: first('tock-error-code') ?? 'internal',
    field,
    message: typeof e.details === 'string' ? e.details : String(e.details ?? ''),
    retryAfterMs: retryAfter === null ? null : Number(retryAfter),
  };
}

/** Messages, client and service definition of tock.v1.AlertService. */
export {
  Alert,
  AlertServiceClient,
  AlertServiceService,
  Flip,
  ListAlertsRequest,
  ListAlertsResponse,
  ListFlipsRequest,
  ListFlipsResponse,
} from './gen/tock/v1/alert.js';
/** Messages of tock.v1.Execution (read-only attempts of a job). */
export { Execution } from './gen/tock/v1/execution.js';
/** Messages, client and service definition of tock.v1.JobService. */
export {
  CancelJobRequest,
  CreateJobRequest,
  CreateJobsError,
  CreateJobsRequest,
  CreateJobsResponse,
  CreateJobsResult,
  GetJobRequest,
  Job,
  JobServiceClient,
  JobServiceService,
  ListJobExecutionsRequest,
  ListJobExecutionsResponse,
  ListJobsRequest,
  ListJobsResponse,
} from './gen/tock/v1/job.js';
/** Messages, client and service definition of tock.v1.MonitorService. */
export {
  CreateMonitorRequest,
  DeleteMonitorRequest,
  GetMonitorRequest,
  ListMonitorPingsRequest,
  ListMonitorPingsResponse,
  ListMonitorsRequest,
  ListMonitorsResponse,
  Monitor,
  MonitorServiceClient,
  MonitorServiceService,
  PauseMonitorRequest,
  Ping,
  PingKind,
  RecordPingRequest,
  ResumeMonitorRequest,
  UpdateMonitorRequest,
} from './gen/tock/v1/monitor.js';
/** Messages, client and service definition of tock.v1.ProjectService. */
export {
  CreateKeyRequest,
  CreateKeyResponse,
  CreateProjectRequest,
  DeleteProjectRequest,
  GetPingKeyRequest,
  GetProjectRequest,
  Key,
  ListKeysRequest,
  ListKeysResponse,
  ListProjectsRequest,
  ListProjectsResponse,
  PingKey,
  Project,
  ProjectServiceClient,
  ProjectServiceService,
  RevokeKeyRequest,
  RotatePingKeyRequest,
  UpdateProjectRequest,
} from './gen/tock/v1/project.js';
/** Messages, client and service definition of tock.v1.ScheduleService. */
export {
  CreateScheduleRequest,
  DeleteScheduleRequest,
  GetScheduleRequest,
  ListScheduleExecutionsRequest,
  ListScheduleExecutionsResponse,
  ListSchedulesRequest,
  ListSchedulesResponse,
  PauseScheduleRequest,
  ResumeScheduleRequest,
  Schedule,
  ScheduleServiceClient,
  ScheduleServiceService,
  TriggerScheduleRequest,
  UpdateScheduleRequest,
} from './gen/tock/v1/schedule.js';
