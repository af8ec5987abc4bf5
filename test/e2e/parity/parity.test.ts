import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { ValidationError, type TockClient } from '../../../client/src/index.js';
import {
  createGrpcClients,
  JobServiceService,
  ListJobExecutionsRequest,
  ListSchedulesRequest,
  MonitorServiceService,
  PingKind,
  ScheduleServiceService,
  tockGrpcError,
  type TockGrpcClients,
} from '../../../client/src/grpc.js';
import { ManualClock } from '../../../server/core/clock.js';
import { TockError } from '../../../server/core/errors.js';
import type { Actor, Monitor } from '../../../server/core/types.js';
import { Execution as ProtoExecution } from '../../../client/src/gen/tock/v1/execution.js';
import { Job as ProtoJob } from '../../../client/src/gen/tock/v1/job.js';
import { Monitor as ProtoMonitor } from '../../../client/src/gen/tock/v1/monitor.js';
import { Schedule as ProtoSchedule } from '../../../client/src/gen/tock/v1/schedule.js';
import { startGrpcServer } from '../../../server/surfaces/grpc/server.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';
import { api } from '../grpc/harness.js';
import { startTrpcServer } from '../trpc/harness.js';

/**
 * One sequence of operations, run three ways, each on a fresh database of its own: directly
 * through the core, through gRPC (the generated clients of @tock/client/grpc on a real port), and
 * through tRPC (@tock/client on a real HTTP port). Every result is cut down to the fields of the
 * proto contract and normalised — ids become `<prefix>#<n>` in order of first appearance (so
 * references between objects are still compared), times become offsets from the run's start on
 * a manual clock, "absent" is null on every surface — and the three transcripts must be equal.
 */

/** The moment every run starts at (a Monday, 06:00 UTC = 08:00 in Riga). */
const ORIGIN = Date.UTC(2026, 2, 2, 6, 0, 0);

/** A result in contract form: proto field names (camelCase), raw ids and Dates, null for absent. */
type Rec = Record<string, unknown>;
type ListOf = { items: Rec[]; nextPageToken: string | null };

/** The fields of each resource, as the proto contract has them (ts-proto's fromPartial lists every one). */
const FIELDS = {
  schedule: Object.keys(ProtoSchedule.fromPartial({})),
  job: Object.keys(ProtoJob.fromPartial({})),
  monitor: Object.keys(ProtoMonitor.fromPartial({})),
  execution: Object.keys(ProtoExecution.fromPartial({})),
};
type Kind = keyof typeof FIELDS;

/** A domain object (core or @tock/client) in contract form; a contract field it lacks is a parity failure of its own. */
function fromDomain(kind: Kind, obj: object): Rec {
  const o = obj as Rec;
  const out: Rec = {};
  for (const f of FIELDS[kind]) {
    if (!(f in o)) throw new Error(`${kind}.${f} is in the proto contract but missing from the domain object`);
    out[f] = o[f];
  }
  return out;
}

/** A proto message in contract form: unset and "" are both "absent" in proto3, i.e. null. */
function fromProto(kind: Kind, msg: object): Rec {
  const o = msg as Rec;
  const out: Rec = {};
  for (const f of FIELDS[kind]) out[f] = o[f] === undefined || o[f] === '' ? null : o[f];
  return out;
}

/** The same operations on every surface, answering in contract form. */
interface Ops {
  createSchedule(input: { name: string; url: string; cron: string; timezone: string; headers: Record<string, string> }): Promise<Rec>;
  getSchedule(id: string): Promise<Rec>;
  listSchedules(): Promise<ListOf>;
  /** Renames and switches the trigger to an interval (a mask on gRPC, a patch elsewhere). */
  renameToInterval(id: string, name: string, intervalSeconds: number): Promise<Rec>;
  pauseSchedule(id: string): Promise<Rec>;
  resumeSchedule(id: string): Promise<Rec>;
  triggerSchedule(id: string): Promise<Rec>;
  deleteSchedule(id: string): Promise<null>;
  createJob(input: { url: string; scheduledAt: Date; idempotencyKey: string; body: string }): Promise<Rec>;
  getJob(id: string): Promise<Rec>;
  cancelJob(id: string): Promise<Rec>;
  listJobExecutions(id: string): Promise<ListOf>;
  createMonitor(input: { name: string; periodSeconds: number; graceSeconds: number }): Promise<Rec>;
  recordPing(id: string): Promise<Rec>;
  getMonitor(id: string): Promise<Rec>;
  deleteMonitor(id: string): Promise<null>;
}

/** A failure in comparable form. */
interface Failure {
  code: string;
  field: string | null;
  message: string;
}

interface Surface {
  ops: Ops;
  /** The failure a call ended with, in comparable form (the call must fail). */
  failure(call: () => Promise<unknown>): Promise<Failure>;
  close(): Promise<void>;
}

function coreSurface(t: TestCore, actor: Actor): Surface {
  const { schedules, jobs, monitors } = t.core;
  const sched = (s: object) => fromDomain('schedule', s);
  const job = (j: object) => fromDomain('job', j);
  // The core's monitor has its token; the contract (and every surface) has the full ping URL.
  const mon = (m: Monitor) => fromDomain('monitor', { ...m, pingUrl: monitors.pingUrl(m) });
  return {
    ops: {
      createSchedule: async (i) => sched(await schedules.create(actor, i)),
      getSchedule: async (id) => sched(await schedules.get(actor, id)),
      listSchedules: async () => {
        const page = await schedules.list(actor);
        return { items: page.items.map(sched), nextPageToken: page.nextPageToken };
      },
      renameToInterval: async (id, name, intervalSeconds) => sched(await schedules.update(actor, id, { name, intervalSeconds })),
      pauseSchedule: async (id) => sched(await schedules.pause(actor, id)),
      resumeSchedule: async (id) => sched(await schedules.resume(actor, id)),
      triggerSchedule: async (id) => job(await schedules.trigger(actor, id)),
      deleteSchedule: async (id) => (await schedules.delete(actor, id), null),
      createJob: async (i) => job(await jobs.create(actor, i)),
      getJob: async (id) => job(await jobs.get(actor, id)),
      cancelJob: async (id) => job(await jobs.cancel(actor, id)),
      listJobExecutions: async (id) => {
        const page = await jobs.listExecutions(actor, id);
        return { items: page.items.map((e) => fromDomain('execution', e)), nextPageToken: page.nextPageToken };
      },
      createMonitor: async (i) => mon(await monitors.create(actor, i)),
      recordPing: async (id) => mon(await monitors.recordPing(actor, id, 'success')),
      getMonitor: async (id) => mon(await monitors.get(actor, id)),
      deleteMonitor: async (id) => (await monitors.delete(actor, id), null),
    },
    async failure(call) {
      try {
        await call();
      } catch (err) {
        if (!(err instanceof TockError)) throw err;
        const field = 'field' in err && typeof err.field === 'string' ? err.field : null;
        return { code: err.code, field, message: err.message };
      }
      throw new Error('expected the core call to fail, but it succeeded');
    },
    close: async () => {},
  };
}

async function grpcSurface(t: TestCore, secret: string): Promise<Surface> {
  const server = await startGrpcServer({ core: t.core, database: t.database.db, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  const clients: TockGrpcClients = createGrpcClients({ address: `127.0.0.1:${server.port}`, apiKey: secret });
  const s = api(clients.schedules, ScheduleServiceService);
  const j = api(clients.jobs, JobServiceService);
  const m = api(clients.monitors, MonitorServiceService);
  const sched = (x: object) => fromProto('schedule', x);
  const job = (x: object) => fromProto('job', x);
  const mon = (x: object) => fromProto('monitor', x);
  const page = (items: Rec[], token: string): ListOf => ({ items, nextPageToken: token || null });
  return {
    ops: {
      createSchedule: async (i) => sched(await s.createSchedule({ schedule: ProtoSchedule.fromPartial(i) })),
      getSchedule: async (id) => sched(await s.getSchedule({ id })),
      listSchedules: async () => {
        const res = await s.listSchedules(ListSchedulesRequest.fromPartial({}));
        return page(res.schedules.map(sched), res.nextPageToken);
      },
      renameToInterval: async (id, name, intervalSeconds) =>
        sched(await s.updateSchedule({ schedule: ProtoSchedule.fromPartial({ id, name, intervalSeconds }), updateMask: ['name', 'interval_seconds'] })),
      pauseSchedule: async (id) => sched(await s.pauseSchedule({ id })),
      resumeSchedule: async (id) => sched(await s.resumeSchedule({ id })),
      triggerSchedule: async (id) => job(await s.triggerSchedule({ id })),
      deleteSchedule: async (id) => (await s.deleteSchedule({ id }), null),
      createJob: async (i) => job(await j.createJob({ job: ProtoJob.fromPartial(i) })),
      getJob: async (id) => job(await j.getJob({ id })),
      cancelJob: async (id) => job(await j.cancelJob({ id })),
      listJobExecutions: async (id) => {
        const res = await j.listJobExecutions(ListJobExecutionsRequest.fromPartial({ id }));
        return page(
          res.executions.map((e) => fromProto('execution', e)),
          res.nextPageToken,
        );
      },
      createMonitor: async (i) => mon(await m.createMonitor({ monitor: ProtoMonitor.fromPartial(i) })),
      recordPing: async (id) => mon(await m.recordPing({ id, kind: PingKind.PING_KIND_SUCCESS, body: '' })),
      getMonitor: async (id) => mon(await m.getMonitor({ id })),
      deleteMonitor: async (id) => (await m.deleteMonitor({ id }), null),
    },
    async failure(call) {
      try {
        await call();
      } catch (err) {
        const info = tockGrpcError(err);
        if (!info) throw err;
        return { code: info.code, field: info.field, message: info.message };
      }
      throw new Error('expected the gRPC call to fail, but it succeeded');
    },
    async close() {
      clients.close();
      await server.close(1_000);
    },
  };
}

async function trpcSurface(t: TestCore, secret: string): Promise<Surface> {
  const server = await startTrpcServer(t);
  const tock: TockClient = server.client(secret);
  const sched = (x: object) => fromDomain('schedule', x);
  const job = (x: object) => fromDomain('job', x);
  const mon = (x: object) => fromDomain('monitor', x);
  return {
    ops: {
      createSchedule: async (i) => sched(await tock.schedules.create(i)),
      getSchedule: async (id) => sched(await tock.schedules.get(id)),
      listSchedules: async () => {
        const page = await tock.schedules.list();
        return { items: page.items.map(sched), nextPageToken: page.nextPageToken };
      },
      renameToInterval: async (id, name, intervalSeconds) => sched(await tock.schedules.update(id, { name, intervalSeconds })),
      pauseSchedule: async (id) => sched(await tock.schedules.pause(id)),
      resumeSchedule: async (id) => sched(await tock.schedules.resume(id)),
      triggerSchedule: async (id) => job(await tock.schedules.trigger(id)),
      deleteSchedule: async (id) => (await tock.schedules.delete(id), null),
      createJob: async (i) => job(await tock.jobs.create(i)),
      getJob: async (id) => job(await tock.jobs.get(id)),
      cancelJob: async (id) => job(await tock.jobs.cancel(id)),
      listJobExecutions: async (id) => {
        const page = await tock.jobs.listExecutions(id);
        return { items: page.items.map((e) => fromDomain('execution', e)), nextPageToken: page.nextPageToken };
      },
      createMonitor: async (i) => mon(await tock.monitors.create(i)),
      recordPing: async (id) => mon(await tock.monitors.recordPing(id, 'success')),
      getMonitor: async (id) => mon(await tock.monitors.get(id)),
      deleteMonitor: async (id) => (await tock.monitors.delete(id), null),
    },
    async failure(call) {
      try {
        await call();
      } catch (err) {
        if (!(err instanceof Error) || !('code' in err) || typeof err.code !== 'string') throw err;
        return { code: err.code, field: err instanceof ValidationError ? err.field : null, message: err.message };
      }
      throw new Error('expected the tRPC call to fail, but it succeeded');
    },
    close: () => server.close(),
  };
}

const ID = /\b(sched|job|mon|exec|proj|key)_[0-9a-z]{26}\b/g;
const PING_URL = /^(https?:\/\/[^/]+\/ping\/)[0-9A-Za-z]{16,64}$/;

/**
 * Normalises one run's results: each id, alone or inside a message, becomes `<prefix>#<n>` (n
 * counts distinct ids of that prefix in order of first appearance), each Date its offset from ORIGIN in ms (`t+3600000`),
 * the secret token of a ping URL `<token>`.
 */
function normaliser(): (value: unknown) => unknown {
  const seen = new Map<string, string>();
  const counts = new Map<string, number>();
  const walk = (v: unknown): unknown => {
    if (v instanceof Date) return `t+${v.getTime() - ORIGIN}`;
    if (typeof v === 'string') {
      // Ids also appear inside error messages ("No schedule with id '...'").
      return v
        .replace(ID, (id: string, prefix: string) => {
          if (!seen.has(id)) {
            const n = (counts.get(prefix) ?? 0) + 1;
            counts.set(prefix, n);
            seen.set(id, `${prefix}#${n}`);
          }
          return seen.get(id)!;
        })
        .replace(PING_URL, '$1<token>');
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk;
}

interface Run {
  /** `[step, normalised result]`, in order. */
  transcript: Array<[string, unknown]>;
  /** `[bad input, normalised failure]`, in order. */
  failures: Array<[string, unknown]>;
}

/** The sequence, on a fresh database and a manual clock that moves one second before each step. */
async function run(make: (t: TestCore, tenant: { actor: Actor; secret: string }) => Surface | Promise<Surface>): Promise<Run> {
  const clock = new ManualClock(ORIGIN);
  const t = await createTestCore({ clock });
  const surface = await make(t, await t.tenant('parity'));
  const norm = normaliser();
  const transcript: Run['transcript'] = [];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    clock.advance(1_000);
    const out = await fn();
    transcript.push([name, norm(out)]);
    return out;
  };
  const failures: Run['failures'] = [];
  const fail = async (name: string, fn: () => Promise<unknown>) => {
    clock.advance(1_000);
    failures.push([name, norm(await surface.failure(fn))]);
  };
  const o = surface.ops;
  try {
    const s = await step('create schedule (cron, time zone, headers)', () =>
      o.createSchedule({ name: 'morning report', url: 'https://example.com/report', cron: '0 9 * * 1-5', timezone: 'Europe/Riga', headers: { 'X-Token': 'abc' } }),
    );
    const id = s.id as string;
    await step('get schedule', () => o.getSchedule(id));
    await step('list schedules', () => o.listSchedules());
    await step('rename and switch to a 10-minute interval', () => o.renameToInterval(id, 'report every 10 minutes', 600));
    await step('pause schedule', () => o.pauseSchedule(id));
    await step('resume schedule', () => o.resumeSchedule(id));
    const triggered = await step('trigger schedule', () => o.triggerSchedule(id));
    await step("list the triggered job's executions", () => o.listJobExecutions(triggered.id as string));
    const jobInput = { url: 'https://example.com/remind', scheduledAt: new Date(ORIGIN + 3_600_000), idempotencyKey: 'remind-42', body: '{"user":42}' };
    const job = await step('create one-time job with an idempotency key', () => o.createJob(jobInput));
    await step('create it again with the same key and call', () => o.createJob(jobInput));
    await step('cancel the one-time job', () => o.cancelJob(job.id as string));
    const m = await step('create monitor', () => o.createMonitor({ name: 'backup', periodSeconds: 3600, graceSeconds: 300 }));
    await step('record a success ping', () => o.recordPing(m.id as string));
    await step('get monitor', () => o.getMonitor(m.id as string));
    await step('delete schedule', () => o.deleteSchedule(id));
    await step('get the triggered job after its schedule was deleted', () => o.getJob(triggered.id as string));
    await step('delete monitor', () => o.deleteMonitor(m.id as string));
    await step('list schedules after the deletes', () => o.listSchedules());

    await fail('schedule with a four-field cron', () => o.createSchedule({ name: 'bad', url: 'https://example.com/x', cron: '* * * *', timezone: 'UTC', headers: {} }));
    // Parsed by the core alone on every surface, so its own message (not a schema library's) reaches each caller.
    await fail('schedule with a header name that is not an HTTP token', () =>
      o.createSchedule({ name: 'bad', url: 'https://example.com/x', cron: '* * * * *', timezone: 'UTC', headers: { 'bad header': 'x' } }),
    );
    await fail('get the deleted schedule', () => o.getSchedule(id));
    await fail('get the deleted monitor', () => o.getMonitor(m.id as string));
    await fail('get a well-formed unknown job id', () => o.getJob('job_00000000000000000000000000'));
    // The executor is not part of this test: mark a job as run the way it would.
    const ran = await o.createJob({ url: 'https://example.com/ran', scheduledAt: new Date(ORIGIN), idempotencyKey: 'ran-1', body: '' });
    await t.database.db.execute("update jobs set status = 'succeeded', attempts = 1, next_attempt_at = null where id = ?", [ran.id]);
    await fail('cancel a job that already ran', () => o.cancelJob(ran.id as string));
    await fail('reuse an idempotency key for a different call', () => o.createJob({ ...jobInput, body: '{"user":43}' }));
    return { transcript, failures };
  } finally {
    await surface.close();
    await t.close();
  }
}

let core: Run;
let grpc: Run;
let trpc: Run;

beforeAll(async () => {
  [core, grpc, trpc] = await Promise.all([
    run((t, { actor }) => coreSurface(t, actor)),
    run((t, { secret }) => grpcSurface(t, secret)),
    run((t, { secret }) => trpcSurface(t, secret)),
  ]);
});

const at = (r: Run, name: string) => {
  const entry = r.transcript.find(([n]) => n === name);
  if (!entry) throw new Error(`no step '${name}'`);
  return entry[1] as Record<string, unknown>;
};

describe('parity of the core, gRPC and tRPC', () => {
  it('runs the whole sequence through gRPC with the same results as through the core', () => {
    expect(grpc.transcript).toEqual(core.transcript);
  });

  it('runs the whole sequence through tRPC with the same results as through the core', () => {
    expect(trpc.transcript).toEqual(core.transcript);
  });

  it('produces the results the sequence should have (so the surfaces do not agree on something wrong)', () => {
    expect(core.transcript).toHaveLength(18);
    expect(at(core, 'create schedule (cron, time zone, headers)')).toMatchObject({
      id: 'sched#1',
      key: null,
      name: 'morning report',
      method: 'POST',
      headers: { 'X-Token': 'abc' },
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Riga',
      intervalSeconds: null,
      state: 'active',
      // 09:00 in Riga (UTC+2) is 07:00 UTC, an hour after ORIGIN.
      nextRunAt: `t+${3_600_000}`,
      createdAt: 't+1000',
    });
    expect(at(core, 'get schedule')).toEqual(at(core, 'create schedule (cron, time zone, headers)'));
    expect(at(core, 'list schedules')).toEqual({ items: [at(core, 'get schedule')], nextPageToken: null });
    expect(at(core, 'rename and switch to a 10-minute interval')).toMatchObject({
      name: 'report every 10 minutes',
      cron: null,
      intervalSeconds: 600,
      nextRunAt: `t+${4_000 + 600_000}`,
      updatedAt: 't+4000',
    });
    expect(at(core, 'pause schedule')).toMatchObject({ state: 'paused', nextRunAt: null });
    expect(at(core, 'resume schedule')).toMatchObject({ state: 'active', nextRunAt: `t+${6_000 + 600_000}` });
    expect(at(core, 'trigger schedule')).toMatchObject({ id: 'job#1', scheduleId: 'sched#1', source: 'manual', status: 'scheduled', scheduledAt: 't+7000' });
    expect(at(core, "list the triggered job's executions")).toEqual({ items: [], nextPageToken: null });
    const created = at(core, 'create one-time job with an idempotency key');
    expect(created).toMatchObject({ id: 'job#2', source: 'api', idempotencyKey: 'remind-42', scheduledAt: `t+${3_600_000}`, status: 'scheduled' });
    expect(at(core, 'create it again with the same key and call')).toEqual(created);
    expect(at(core, 'cancel the one-time job')).toMatchObject({ id: 'job#2', status: 'cancelled', finishedAt: 't+11000', nextAttemptAt: null });
    expect(at(core, 'create monitor')).toMatchObject({ id: 'mon#1', status: 'new', pingUrl: 'http://tock.test/ping/<token>', pingCount: 0 });
    const pinged = at(core, 'record a success ping');
    expect(pinged).toMatchObject({ status: 'up', pingCount: 1, lastPingAt: 't+13000', nextDeadlineAt: `t+${13_000 + 3_600_000 + 300_000}` });
    expect(at(core, 'get monitor')).toEqual(pinged);
    expect(at(core, 'get the triggered job after its schedule was deleted')).toMatchObject({ id: 'job#1', status: 'cancelled' });
    expect(at(core, 'list schedules after the deletes')).toEqual({ items: [], nextPageToken: null });
  });

  it('answers the same bad inputs with the same error code, field and message through all three', () => {
    expect(grpc.failures).toEqual(core.failures);
    expect(trpc.failures).toEqual(core.failures);
    expect(core.failures.map(([, f]) => (f as Failure).code)).toEqual([
      'invalid_cron',
      'invalid_argument',
      'not_found',
      'not_found',
      'not_found',
      'job_already_executed',
      'idempotency_conflict',
    ]);
    expect(core.failures[0][1]).toMatchObject({ field: 'cron' });
    expect(core.failures[1][1]).toMatchObject({ field: 'headers.bad header', message: 'headers.bad header: header names must be HTTP tokens' });
  });
});
