import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { JobServiceClient } from '../../../client/src/gen/tock/v1/job.js';
import { MonitorServiceClient } from '../../../client/src/gen/tock/v1/monitor.js';
import { ScheduleServiceClient } from '../../../client/src/gen/tock/v1/schedule.js';
import { startGrpcServer, type GrpcServer } from '../../../server/surfaces/grpc/server.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { startTrpcServer, type TrpcServer } from '../trpc/harness.js';

/**
 * One core on this file's database served over gRPC and tRPC (real ports on 127.0.0.1), a tenant
 * with an all-scopes key, and raw callers of both surfaces that report what came back on the wire.
 */
export interface Surfaces {
  t: TestCore;
  tenant: TestTenant;
  grpcAddress: string;
  /** Log lines (JSON) the gRPC surface wrote at error level or above. */
  grpcErrors: Array<Record<string, unknown>>;
  trpc: TrpcServer;
  grpc: GrpcClients;
  close(): Promise<void>;
}

export interface GrpcClients {
  schedules: ScheduleServiceClient;
  jobs: JobServiceClient;
  monitors: MonitorServiceClient;
  all: grpc.Client[];
}

export function grpcClients(address: string): GrpcClients {
  const creds = grpc.credentials.createInsecure();
  const schedules = new ScheduleServiceClient(address, creds);
  const jobs = new JobServiceClient(address, creds);
  const monitors = new MonitorServiceClient(address, creds);
  return { schedules, jobs, monitors, all: [schedules, jobs, monitors] };
}

export async function startSurfaces(opts: { allowTargets?: readonly string[] } = {}): Promise<Surfaces> {
  const t = await createTestCore({ allowTargets: opts.allowTargets });
  const tenant = await t.tenant('hostile');
  const grpcErrors: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void grpcErrors.push(JSON.parse(line)) });
  const server: GrpcServer = await startGrpcServer({ core: t.core, database: t.database.db, port: 0, host: '127.0.0.1', logger });
  const grpcAddress = `127.0.0.1:${server.port}`;
  const trpc = await startTrpcServer(t);
  const clients = grpcClients(grpcAddress);
  return {
    t,
    tenant,
    grpcAddress,
    grpcErrors,
    trpc,
    grpc: clients,
    async close() {
      for (const c of clients.all) c.close();
      await trpc.close();
      await server.close(1_000);
      await t.close();
    },
  };
}

/** What a gRPC call answered: `ok` with the response, or the status with details and Tock's metadata. */
export type GrpcOutcome<Res> =
  | { ok: true; response: Res; elapsedMs: number }
  | { ok: false; code: grpc.status; details: string; tockCode: string | undefined; tockField: string | undefined; elapsedMs: number };

type UnaryMethod<Req, Res> = (
  req: Req,
  md: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

/** Calls `method` of `client` with the tenant's key and a deadline (default 5 s); never rejects. */
export function grpcCall<C extends grpc.Client, Req, Res>(
  client: C,
  method: UnaryMethod<Req, Res>,
  req: Req,
  secret: string,
  deadlineMs = 5_000,
): Promise<GrpcOutcome<Res>> {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${secret}`);
  const started = performance.now();
  return new Promise((resolve) => {
    method.call(client, req, md, { deadline: Date.now() + deadlineMs }, (err, res) => {
      const elapsedMs = performance.now() - started;
      if (!err) return resolve({ ok: true, response: res as Res, elapsedMs });
      const meta = (key: string) => {
        const v = err.metadata?.get(key)[0];
        return v === undefined ? undefined : String(v);
      };
      resolve({ ok: false, code: err.code, details: err.details, tockCode: meta('tock-error-code'), tockField: meta('tock-error-field'), elapsedMs });
    });
  });
}

export interface TrpcOutcome {
  status: number;
  message: string | null;
  tockCode: string | null;
  field: string | null;
  data: unknown;
}

/** Input sent as this exact JSON text (e.g. with an own `__proto__` key, which an object literal cannot have). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** POSTs (mutation) or GETs (query) one tRPC procedure with the tenant's key, as raw JSON. */
export async function trpcCall(s: Surfaces, path: string, input: unknown, kind: 'mutation' | 'query' = 'mutation'): Promise<TrpcOutcome> {
  const headers = { authorization: `Bearer ${s.tenant.secret}`, 'content-type': 'application/json' };
  const json = input instanceof RawJson ? input.text : JSON.stringify(input);
  const res =
    kind === 'mutation'
      ? await fetch(`${s.trpc.url}/trpc/${path}`, { method: 'POST', headers, body: json })
      : await fetch(`${s.trpc.url}/trpc/${path}?input=${encodeURIComponent(json)}`, { headers });
  const text = await res.text();
  let body: { result?: { data?: unknown }; error?: { message?: string; data?: { tockCode?: string; field?: string | null } } } = {};
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: status says enough */
  }
  return {
    status: res.status,
    message: body.error?.message ?? null,
    tockCode: body.error?.data?.tockCode ?? null,
    field: body.error?.data?.field ?? null,
    data: body.result?.data,
  };
}
