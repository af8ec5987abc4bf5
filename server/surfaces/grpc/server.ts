import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Core } from '../../core/index.js';
import { AlertServiceService } from '../../../client/src/gen/tock/v1/alert.js';
import { JobServiceService } from '../../../client/src/gen/tock/v1/job.js';
import { MonitorServiceService } from '../../../client/src/gen/tock/v1/monitor.js';
import { ProjectServiceService } from '../../../client/src/gen/tock/v1/project.js';
import { ScheduleServiceService } from '../../../client/src/gen/tock/v1/schedule.js';
import type { ApiObserver } from '../../metrics/index.js';
import { alertService, jobService, monitorService, projectService, scheduleService } from './handlers.js';
import { addHealthService, type HealthDatabase } from './health.js';
import { metricsInterceptor } from './metrics.js';
import { loadServedProtos } from './protos.js';
import { addReflectionService } from './reflection.js';
import { createRpc, tolerantDecoding } from './rpc.js';

/**
 * What one HTTP/2 connection may hold and how long it lives. grpc-js leaves every one of these
 * unlimited unless told (and has no ping-rate policy for clients to honour, so none is set:
 * Node's HTTP/2 layer answers PINGs and drops a peer that floods it with them).
 */
export interface GrpcConnectionLimits {
  /** Ping a connection this often: below the idle cut-off of common NATs and load balancers (~5 min), so a long call is not dropped silently, and a vanished peer is noticed. */
  keepaliveTimeMs: number;
  /** A ping not answered within this closes the connection and cancels its calls. */
  keepaliveTimeoutMs: number;
  /** A connection with no call for this long is sent GOAWAY; clients reconnect on their next call. */
  maxConnectionIdleMs: number;
  /** Connections are recycled after this (GOAWAY), so clients behind a load balancer spread over new nodes. TOCK_GRPC_MAX_CONNECTION_AGE_MS. */
  maxConnectionAgeMs: number;
  /** Calls running at GOAWAY for age get this long to finish (unary calls are short; Health.Watch streams are re-opened by clients). */
  maxConnectionAgeGraceMs: number;
  /** Calls open at once on one connection: far above what a client multiplexes, a bound on what one connection can start. */
  maxConcurrentStreams: number;
  /** Largest request message: a 1 MiB body plus 50 headers of 8 KiB and the rest fit; larger answers RESOURCE_EXHAUSTED. */
  maxReceiveMessageBytes: number;
  /** Memory (MB) one connection's HTTP/2 session may buffer before new calls on it are refused; grpc-js's default is unbounded. */
  maxSessionMemoryMb: number;
}

export const GRPC_CONNECTION_LIMITS: Readonly<GrpcConnectionLimits> = {
  keepaliveTimeMs: 120_000,
  keepaliveTimeoutMs: 20_000,
  maxConnectionIdleMs: 300_000,
  maxConnectionAgeMs: 1_800_000,
  maxConnectionAgeGraceMs: 30_000,
  maxConcurrentStreams: 1_000,
  maxReceiveMessageBytes: 4 * 1024 * 1024,
  maxSessionMemoryMb: 64,
};

function serverOptions(l: GrpcConnectionLimits): grpc.ServerOptions {
  return {
    'grpc.keepalive_time_ms': l.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': l.keepaliveTimeoutMs,
    'grpc.max_connection_idle_ms': l.maxConnectionIdleMs,
    'grpc.max_connection_age_ms': l.maxConnectionAgeMs,
    'grpc.max_connection_age_grace_ms': l.maxConnectionAgeGraceMs,
    'grpc.max_concurrent_streams': l.maxConcurrentStreams,
    'grpc.max_receive_message_length': l.maxReceiveMessageBytes,
    'grpc-node.max_session_memory': l.maxSessionMemoryMb,
  };
}

export interface GrpcServerOptions {
  core: Core;
  /** 0 picks a free port; the bound one is returned. */
  port: number;
  host?: string;
  logger: Logger;
  /** The database health follows: NOT_SERVING while it does not answer. */
  database: HealthDatabase;
  /** How often health asks the database again while Watch streams are open (default 5 s). */
  healthPollMs?: number;
  /** Overrides of GRPC_CONNECTION_LIMITS. */
  connection?: Partial<GrpcConnectionLimits>;
  /** PEM certificate chain and private key: serve over TLS only (plaintext connections fail their handshake). Absent or null: plaintext. */
  tls?: { cert: Buffer; key: Buffer } | null;
  /** Told of every answered call (metrics). */
  observer?: ApiObserver | null;
}

export interface GrpcServer {
  /** The bound port. */
  port: number;
  server: grpc.Server;
  /** Stops accepting calls, lets running ones finish for up to `graceMs` (default 5 s), then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

export const TOCK_SERVICES = ['tock.v1.ScheduleService', 'tock.v1.JobService', 'tock.v1.MonitorService', 'tock.v1.ProjectService', 'tock.v1.AlertService'] as const;

/**
 * Serves tock.v1 (Schedule, Job, Monitor, Project and Alert services) over HTTP/2 (TLS when `tls` is given, else plaintext), plus
 * grpc.health.v1.Health (following `database`) and server reflection (v1 and v1alpha). Calls authenticate with
 * `authorization: Bearer <key>` or `x-api-key: <key>` metadata; `x-tock-project` picks the
 * project for keys that reach every project of their account.
 */
export async function startGrpcServer({ core, port, host = '0.0.0.0', logger, database, healthPollMs, connection, tls, observer }: GrpcServerOptions): Promise<GrpcServer> {
  const log = logger.child({ surface: 'grpc' });
  const rpc = createRpc(core, log);
  const server = new grpc.Server({
    ...serverOptions({ ...GRPC_CONNECTION_LIMITS, ...connection }),
    ...(observer ? { interceptors: [metricsInterceptor(observer)] } : {}),
  });
  server.addService(tolerantDecoding(ScheduleServiceService), scheduleService(core, rpc));
  server.addService(tolerantDecoding(JobServiceService), jobService(core, rpc));
  server.addService(tolerantDecoding(MonitorServiceService), monitorService(core, rpc));
  server.addService(tolerantDecoding(ProjectServiceService), projectService(core, rpc));
  server.addService(tolerantDecoding(AlertServiceService), alertService(core, rpc));

  const protos = loadServedProtos();
  const health = addHealthService(server, protos, [...TOCK_SERVICES, 'grpc.health.v1.Health'], { database, pollMs: healthPollMs });
  addReflectionService(server, protos);

  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  // No client certificates are asked for: callers authenticate with their API key.
  const credentials = tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false) : grpc.ServerCredentials.createInsecure();
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  log.info({ host, port: bound, tls: Boolean(tls) }, 'gRPC server listening');

  return {
    port: bound,
    server,
    close: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        health.shutdown();
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
