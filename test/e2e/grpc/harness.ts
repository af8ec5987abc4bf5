import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { newId } from '../../../server/core/ids.js';
import type { Execution } from '../../../server/core/types.js';
import { AlertServiceClient, AlertServiceService } from '../../../client/src/gen/tock/v1/alert.js';
import { JobServiceClient, JobServiceService } from '../../../client/src/gen/tock/v1/job.js';
import { MonitorServiceClient, MonitorServiceService } from '../../../client/src/gen/tock/v1/monitor.js';
import { ProjectServiceClient, ProjectServiceService } from '../../../client/src/gen/tock/v1/project.js';
import { ScheduleServiceClient, ScheduleServiceService } from '../../../client/src/gen/tock/v1/schedule.js';
import { ExecutionEntity } from '../../../server/store/entities.js';
import { startGrpcServer, type GrpcServer } from '../../../server/surfaces/grpc/server.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';

/** A core on this file's own database, served over gRPC on a random port; log lines are kept in `logs`. */
export interface Harness {
  t: TestCore;
  grpc: GrpcServer;
  address: string;
  logs: Array<Record<string, unknown>>;
  /** Clients of the services (the generated ts-proto clients) sending `metadata`. */
  clients(metadata: grpc.Metadata): Clients;
  close(): Promise<void>;
}

export async function startHarness(core: Parameters<typeof createTestCore>[0] = {}): Promise<Harness> {
  const t = await createTestCore(core);
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const server = await startGrpcServer({ core: t.core, database: t.database.db, port: 0, host: '127.0.0.1', logger });
  const address = `127.0.0.1:${server.port}`;
  const opened: grpc.Client[] = [];
  return {
    t,
    grpc: server,
    address,
    logs,
    clients(metadata) {
      const c = clients(address, metadata);
      opened.push(...c.all);
      return c;
    },
    async close() {
      for (const c of opened) c.close();
      await server.close(1_000);
      await t.close();
    },
  };
}

/** Metadata with `authorization: Bearer <secret>` (none when null) and any extra entries. */
export function bearer(secret: string | null, extra: Record<string, string> = {}): grpc.Metadata {
  const md = new grpc.Metadata();
  if (secret !== null) md.set('authorization', `Bearer ${secret}`);
  for (const [k, v] of Object.entries(extra)) md.set(k, v);
  return md;
}

/** The methods of a generated client as `(request) => Promise<response>`, typed from its service definition. */
export type Api<S> = {
  [K in keyof S]: S[K] extends { requestSerialize: (v: infer Req) => Buffer; responseDeserialize: (b: Buffer) => infer Res }
    ? (req: Req) => Promise<Res>
    : never;
};

/**
 * The methods of a generated `client` as promises, typed from its service `definition`; each call
 * sends `metadata` (none: an empty one, e.g. when an interceptor adds the key).
 */
export function api<S extends object>(client: grpc.Client, definition: S, metadata: grpc.Metadata = new grpc.Metadata()): Api<S> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(definition)) {
    const method = (client as unknown as Record<string, Function>)[name].bind(client);
    out[name] = (req: unknown) =>
      new Promise((resolve, reject) => method(req, metadata, (err: grpc.ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res))));
  }
  return out as Api<S>;
}

export interface Clients {
  schedules: Api<typeof ScheduleServiceService>;
  jobs: Api<typeof JobServiceService>;
  monitors: Api<typeof MonitorServiceService>;
  projects: Api<typeof ProjectServiceService>;
  alerts: Api<typeof AlertServiceService>;
  all: grpc.Client[];
}

function clients(address: string, metadata: grpc.Metadata): Clients {
  const creds = grpc.credentials.createInsecure();
  const s = new ScheduleServiceClient(address, creds);
  const j = new JobServiceClient(address, creds);
  const m = new MonitorServiceClient(address, creds);
  const p = new ProjectServiceClient(address, creds);
  const al = new AlertServiceClient(address, creds);
  return {
    schedules: api(s, ScheduleServiceService, metadata),
    jobs: api(j, JobServiceService, metadata),
    monitors: api(m, MonitorServiceService, metadata),
    projects: api(p, ProjectServiceService, metadata),
    alerts: api(al, AlertServiceService, metadata),
    all: [s, j, m, p, al],
  };
}

/** The error a call failed with; fails the test when the call succeeds. */
export async function failure(call: Promise<unknown>): Promise<grpc.ServiceError & { tockCode: unknown; tockField: unknown }> {
  try {
    await call;
  } catch (err) {
    const e = err as grpc.ServiceError;
    return Object.assign(e, { tockCode: e.metadata?.get('tock-error-code')[0], tockField: e.metadata?.get('tock-error-field')[0] });
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Records an HTTP attempt of a job directly in the database (the executor is not part of these tests). */
export async function insertExecution(h: Harness, e: Partial<Execution> & Pick<Execution, 'jobId' | 'projectId'>): Promise<Execution> {
  const now = new Date();
  const row: Execution = {
    id: newId('execution'),
    scheduleId: null,
    attempt: 1,
    status: 'succeeded',
    statusCode: 200,
    durationMs: 12,
    responseBody: 'ok',
    error: null,
    startedAt: now,
    finishedAt: now,
    ...e,
  };
  await h.t.database.db.em().insert(ExecutionEntity, row);
  return row;
}
