import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

/**
 * A client that knows only the published .proto files, as a third party would: proto-loader with
 * the options most Node clients use (snake_case fields, enums as names, 64-bit ints as strings).
 */
const protoDir = join(fileURLToPath(new URL('../../../proto', import.meta.url)));
const definition = protoLoader.loadSync(['tock/v1/schedule.proto', 'tock/v1/job.proto', 'tock/v1/monitor.proto'], {
  includeDirs: [protoDir],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const tock = (grpc.loadPackageDefinition(definition) as any).tock.v1;

type Call = (req: object) => Promise<any>;

function connect(address: string, Service: typeof grpc.Client, secret: string): { call: Record<string, Call>; close(): void } {
  const client = new Service(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${secret}`);
  const call = new Proxy({} as Record<string, Call>, {
    get: (_, method: string) => (req: object) =>
      new Promise((resolve, reject) =>
        (client as unknown as Record<string, Function>)[method](req, md, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))),
      ),
  });
  return { call, close: () => client.close() };
}

let h: Harness;
let schedules: ReturnType<typeof connect>;
let jobs: ReturnType<typeof connect>;
let monitors: ReturnType<typeof connect>;

beforeAll(async () => {
  h = await startHarness();
  const { secret } = await h.t.tenant('third-party');
  schedules = connect(h.address, tock.ScheduleService, secret);
  jobs = connect(h.address, tock.JobService, secret);
  monitors = connect(h.address, tock.MonitorService, secret);
});
afterAll(async () => {
  for (const c of [schedules, jobs, monitors]) c.close();
  await h.close();
});

describe('a client built from proto/ with proto-loader (no generated code)', () => {
  it('creates, reads, lists, updates, pauses, triggers and deletes a schedule', async () => {
    const s = schedules.call;
    const created = await s.CreateSchedule({ schedule: { url: 'https://example.com/report', cron: '0 9 * * 1', timezone: 'Europe/Riga', headers: { 'X-Env': 'test' } } });
    expect(created).toMatchObject({ url: 'https://example.com/report', cron: '0 9 * * 1', timezone: 'Europe/Riga', method: 'POST', state: 'active', headers: { 'X-Env': 'test' } });
    expect(created.next_run_at.seconds).toMatch(/^\d+$/);

    expect((await s.GetSchedule({ id: created.id })).id).toBe(created.id);
    const list = await s.ListSchedules({ page_size: 10 });
    expect(list.schedules.map((x: { id: string }) => x.id)).toContain(created.id);
    expect(list.next_page_token).toBe('');

    const updated = await s.UpdateSchedule({ schedule: { id: created.id, interval_seconds: 900 }, update_mask: { paths: ['interval_seconds'] } });
    expect(updated.interval_seconds).toBe(900);
    expect(updated._cron).toBeUndefined();

    expect((await s.PauseSchedule({ id: created.id })).state).toBe('paused');
    expect((await s.ResumeSchedule({ id: created.id })).state).toBe('active');
    const job = await s.TriggerSchedule({ id: created.id });
    expect(job).toMatchObject({ schedule_id: created.id, status: 'scheduled' });
    expect((await s.ListScheduleExecutions({ id: created.id })).executions).toEqual([]);

    expect(await s.DeleteSchedule({ id: created.id })).toEqual({});
    await expect(s.GetSchedule({ id: created.id })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('creates, reads, lists and cancels a job', async () => {
    const j = jobs.call;
    const due = Math.floor(Date.now() / 1000) + 3600;
    const created = await j.CreateJob({ job: { url: 'https://example.com/once', method: 'GET', scheduled_at: { seconds: due, nanos: 0 }, max_retries: 1 } });
    expect(created).toMatchObject({ method: 'GET', status: 'scheduled', max_retries: 1, scheduled_at: { seconds: String(due), nanos: 0 } });
    expect((await j.GetJob({ id: created.id })).url).toBe('https://example.com/once');
    expect((await j.ListJobs({})).jobs.map((x: { id: string }) => x.id)).toContain(created.id);
    expect((await j.CancelJob({ id: created.id })).status).toBe('cancelled');
    expect((await j.ListJobExecutions({ id: created.id })).executions).toEqual([]);
  });

  it('creates, reads, lists, updates, pauses, pings and deletes a monitor', async () => {
    const m = monitors.call;
    const created = await m.CreateMonitor({ monitor: { name: 'cron-backup', period_seconds: 3600 } });
    expect(created).toMatchObject({ name: 'cron-backup', period_seconds: 3600, status: 'new', ping_count: '0' });
    expect(created.ping_url).toMatch(/^http:\/\/tock\.test\/ping\//);
    expect((await m.GetMonitor({ id: created.id })).name).toBe('cron-backup');
    expect((await m.ListMonitors({ page_size: 5 })).monitors).toHaveLength(1);
    const updated = await m.UpdateMonitor({ monitor: { id: created.id, grace_seconds: 120 }, update_mask: { paths: ['grace_seconds'] } });
    expect(updated.grace_seconds).toBe(120);
    expect((await m.PauseMonitor({ id: created.id })).status).toBe('paused');
    // A paused monitor counts the ping but keeps its status; resuming waits for the next ping.
    const pinged = await m.RecordPing({ id: created.id, kind: 'PING_KIND_SUCCESS' });
    expect(pinged).toMatchObject({ status: 'paused', ping_count: '1' });
    expect((await m.ResumeMonitor({ id: created.id })).status).toBe('new');
    expect(await m.DeleteMonitor({ id: created.id })).toEqual({});
    await expect(m.GetMonitor({ id: created.id })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });
});
