import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGrpcClients,
  Job,
  JobServiceService,
  ListJobsRequest,
  ListJobsResponse,
  ListSchedulesRequest,
  Monitor,
  MonitorServiceService,
  PingKind,
  Project,
  ProjectServiceService,
  Schedule,
  ScheduleServiceService,
  tockGrpcError,
  type TockGrpcClients,
} from '../../../client/src/grpc.js';
import { startGrpcServer, type GrpcServer } from '../../../server/surfaces/grpc/server.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { api, type Api } from '../grpc/harness.js';

/** `@tock/client/grpc` against a real gRPC server on a random port, over a core on this file's database. */

let t: TestCore;
let a: TestTenant;
let server: GrpcServer;
let address: string;
const opened: TockGrpcClients[] = [];

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant('grpc-client');
  server = await startGrpcServer({ core: t.core, database: t.database.db, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  address = `127.0.0.1:${server.port}`;
});
afterAll(async () => {
  for (const c of opened) c.close();
  await server?.close(1_000);
  await t?.close();
});

interface Promised {
  schedules: Api<typeof ScheduleServiceService>;
  jobs: Api<typeof JobServiceService>;
  monitors: Api<typeof MonitorServiceService>;
  projects: Api<typeof ProjectServiceService>;
}

/** The factory's clients, plus promise views of them (calls send no metadata of their own unless `metadata` is given). */
function connect(options: { apiKey: string; project?: string }, metadata?: Metadata): { raw: TockGrpcClients; p: Promised } {
  const raw = createGrpcClients({ address, ...options });
  opened.push(raw);
  return {
    raw,
    p: {
      schedules: api(raw.schedules, ScheduleServiceService, metadata),
      jobs: api(raw.jobs, JobServiceService, metadata),
      monitors: api(raw.monitors, MonitorServiceService, metadata),
      projects: api(raw.projects, ProjectServiceService, metadata),
    },
  };
}

async function failure(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('createGrpcClients from @tock/client/grpc', () => {
  it('authenticates every call of all four services with the API key', async () => {
    const { p } = connect({ apiKey: a.secret });
    const s = await p.schedules.createSchedule({ schedule: Schedule.fromPartial({ url: 'https://example.com/hook', cron: '0 9 * * *', timezone: 'Europe/Riga' }) });
    expect(s).toMatchObject({ cron: '0 9 * * *', timezone: 'Europe/Riga', state: 'active' });
    expect(await p.schedules.getSchedule({ id: s.id })).toEqual(s);
    const job = await p.jobs.createJob({ job: Job.fromPartial({ url: 'https://example.com/once', expectedStatus: [202] }) });
    expect(job).toMatchObject({ source: 'api', expectedStatus: [202] });
    const m = await p.monitors.createMonitor({ monitor: Monitor.fromPartial({ key: 'backup', periodSeconds: 3600 }) });
    expect((await p.monitors.recordPing({ id: m.id, kind: PingKind.PING_KIND_SUCCESS, body: '' })).status).toBe('up');
    const projects = await p.projects.listProjects({ pageSize: 0, pageToken: '' });
    expect(projects.projects.map((x) => x.id)).toEqual([a.projectId]);
  });

  it('shares one channel between the four clients, and close() ends it', async () => {
    const { raw, p } = connect({ apiKey: a.secret });
    expect(raw.jobs.getChannel()).toBe(raw.schedules.getChannel());
    expect(raw.monitors.getChannel()).toBe(raw.schedules.getChannel());
    expect(raw.projects.getChannel()).toBe(raw.schedules.getChannel());
    await p.schedules.listSchedules(ListSchedulesRequest.fromPartial({}));
    raw.close();
    await expect(p.jobs.listJobs(ListJobsRequest.fromPartial({}))).rejects.toThrow();
  });

  it('works with the generated callback API directly', async () => {
    const { raw } = connect({ apiKey: a.secret });
    const page = await new Promise<ListJobsResponse>((resolve, reject) =>
      raw.jobs.listJobs(ListJobsRequest.fromPartial({ pageSize: 1 }), (err, res) => (err ? reject(err) : resolve(res))),
    );
    expect(page).toMatchObject({ jobs: expect.any(Array) });
  });

  it('acts on the project named by the project option (x-tock-project), and a call’s own metadata wins', async () => {
    const { p: admin } = connect({ apiKey: a.secret });
    const second = await admin.projects.createProject({ project: Project.fromPartial({ name: 'Second' }) });
    const { p: inSecond } = connect({ apiKey: a.secret, project: second.id });
    const s = await inSecond.schedules.createSchedule({ schedule: Schedule.fromPartial({ url: 'https://example.com/second', intervalSeconds: 60 }) });
    expect((await inSecond.schedules.getSchedule({ id: s.id })).url).toBe('https://example.com/second');
    expect((await failure(admin.schedules.getSchedule({ id: s.id }))).code).toBe(status.NOT_FOUND);

    const override = new Metadata();
    override.set('x-tock-project', a.projectId);
    const { p: overridden } = connect({ apiKey: a.secret, project: second.id }, override);
    expect((await failure(overridden.schedules.getSchedule({ id: s.id }))).code).toBe(status.NOT_FOUND);
    // The same Metadata object is reused for every call: the interceptor must not have changed it.
    expect(override.get('authorization')).toEqual([]);
  });

  it('answers UNAUTHENTICATED for an unknown key, with Tock’s code readable by tockGrpcError', async () => {
    const { p } = connect({ apiKey: 'tock_not_a_real_key' });
    const err = await failure(p.schedules.listSchedules(ListSchedulesRequest.fromPartial({})));
    expect(err.code).toBe(status.UNAUTHENTICATED);
    expect(tockGrpcError(err)).toMatchObject({ status: status.UNAUTHENTICATED, code: 'unauthenticated', field: null });
  });

  it('exposes the stable code and the field of a rejected input through tockGrpcError', async () => {
    const { p } = connect({ apiKey: a.secret });
    const err = await failure(p.schedules.createSchedule({ schedule: Schedule.fromPartial({ url: 'https://example.com/x', cron: '* * * *' }) }));
    expect(tockGrpcError(err)).toEqual({
      status: status.INVALID_ARGUMENT,
      code: 'invalid_cron',
      field: 'cron',
      message: expect.stringMatching(/^Invalid cron expression: '\* \* \* \*'/),
      retryAfterMs: null,
    });
    expect(tockGrpcError(new Error('not a call error'))).toBeNull();
  });

  it('refuses to build clients without an address or a key', () => {
    expect(() => createGrpcClients({ address: '', apiKey: a.secret })).toThrow(TypeError);
    expect(() => createGrpcClients({ address, apiKey: '' })).toThrow(TypeError);
  });
});
