import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Core } from '../../core/index.js';
import { JobServiceService } from '../../gen/tock/v1/job.js';
import { MonitorServiceService } from '../../gen/tock/v1/monitor.js';
import { ProjectServiceService } from '../../gen/tock/v1/project.js';
import { ScheduleServiceService } from '../../gen/tock/v1/schedule.js';
import { jobService, monitorService, projectService, scheduleService } from './handlers.js';
import { addHealthService } from './health.js';
import { loadServedProtos } from './protos.js';
import { addReflectionService } from './reflection.js';
import { createRpc, tolerantDecoding } from './rpc.js';

export interface GrpcServerOptions {
  core: Core;
  /** 0 picks a free port; the bound one is returned. */
  port: number;
  host?: string;
  logger: Logger;
}

export interface GrpcServer {
  /** The bound port. */
  port: number;
  server: grpc.Server;
  /** Stops accepting calls, lets running ones finish for up to `graceMs` (default 5 s), then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

export const TOCK_SERVICES = ['tock.v1.ScheduleService', 'tock.v1.JobService', 'tock.v1.MonitorService', 'tock.v1.ProjectService'] as const;

/**
 * Serves tock.v1 (Schedule, Job, Monitor and Project services) over plaintext HTTP/2, plus
 * grpc.health.v1.Health and server reflection (v1 and v1alpha). Calls authenticate with
 * `authorization: Bearer <key>` or `x-api-key: <key>` metadata; `x-tock-project` picks the
 * project for keys that reach every project of their account.
 */
export async function startGrpcServer({ core, port, host = '0.0.0.0', logger }: GrpcServerOptions): Promise<GrpcServer> {
  const log = logger.child({ surface: 'grpc' });
  const rpc = createRpc(core, log);
  const server = new grpc.Server();
  server.addService(tolerantDecoding(ScheduleServiceService), scheduleService(core, rpc));
  server.addService(tolerantDecoding(JobServiceService), jobService(core, rpc));
  server.addService(tolerantDecoding(MonitorServiceService), monitorService(core, rpc));
  server.addService(tolerantDecoding(ProjectServiceService), projectService(core, rpc));

  const protos = loadServedProtos();
  const health = addHealthService(server, protos, [...TOCK_SERVICES, 'grpc.health.v1.Health']);
  addReflectionService(server, protos);

  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  log.info({ host, port: bound }, 'gRPC server listening');

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
