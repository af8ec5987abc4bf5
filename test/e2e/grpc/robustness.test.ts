import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job, ListJobsRequest } from '../../../client/src/gen/tock/v1/job.js';
import { ListSchedulesRequest, Schedule } from '../../../client/src/gen/tock/v1/schedule.js';
import type { TestTenant } from '../../helpers/core.js';
import { bearer, failure, startHarness, type Clients, type Harness } from './harness.js';

let h: Harness;
let a: TestTenant;
let api: Clients;
let raw: grpc.Client;

beforeAll(async () => {
  h = await startHarness();
  a = await h.t.tenant('a');
  api = h.clients(bearer(a.secret));
  raw = new grpc.Client(h.address, grpc.credentials.createInsecure());
});
afterAll(async () => {
  raw.close();
  await h.close();
});

/** Sends `bytes` as the request message of `path`, bypassing any encoder. */
function sendBytes(path: string, bytes: Buffer, md = bearer(a.secret)): Promise<Buffer> {
  const id = (b: Buffer) => b;
  return new Promise((resolve, reject) => raw.makeUnaryRequest(path, id, id, bytes, md, (err, res) => (err ? reject(err) : resolve(res!))));
}

async function stillServing() {
  expect((await api.schedules.listSchedules(ListSchedulesRequest.fromPartial({ pageSize: 1, pageToken: '' }))).schedules).toBeDefined();
}

describe('what a client sends never crashes the server', () => {
  it('answers a message that does not decode with INVALID_ARGUMENT', async () => {
    // Field 1, length-delimited, claiming 100 bytes that never come.
    const err = await failure(sendBytes('/tock.v1.ScheduleService/GetSchedule', Buffer.from([0x0a, 0x64, 0x61])));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^Malformed request message/);
    await stillServing();
  });

  it('still authenticates before looking at a malformed message', async () => {
    const err = await failure(sendBytes('/tock.v1.JobService/CreateJob', Buffer.from([0xff, 0xff, 0xff]), bearer(null)));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('ignores a field sent with the wrong wire type, as protobuf decoders do', async () => {
    // Field 1 (id, a string) sent as a varint: skipped, so the id is empty.
    const err = await failure(sendBytes('/tock.v1.ScheduleService/GetSchedule', Buffer.from([0x08, 0x96, 0x01])));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe("No schedule with id ''");
  });

  it('caps a huge page size instead of failing', async () => {
    const page = await api.jobs.listJobs(ListJobsRequest.fromPartial({ pageSize: 2_147_483_647, pageToken: '' }));
    expect(page.jobs).toEqual([]);
  });

  it('rejects a negative page size and a forged page token with INVALID_ARGUMENT', async () => {
    const negative = await failure(api.schedules.listSchedules(ListSchedulesRequest.fromPartial({ pageSize: -5, pageToken: '' })));
    expect(negative.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(negative.tockField).toBe('page_size');
    const forged = await failure(api.monitors.listMonitors({ pageSize: 0, pageToken: 'not-a-token' }));
    expect(forged.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(forged.tockCode).toBe('invalid_page_token');
  });

  it('rejects a message above the 4 MiB limit with RESOURCE_EXHAUSTED', async () => {
    const err = await failure(api.jobs.createJob({ job: Job.fromPartial({ url: 'https://example.com/', body: 'x'.repeat(5 * 1024 * 1024) }) }));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    await stillServing();
  });

  it('rejects a timestamp outside the representable range with INVALID_ARGUMENT', async () => {
    const err = await failure(api.jobs.createJob({ job: Job.fromPartial({ url: 'https://example.com/', scheduledAt: new Date(8.64e15) }) }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.tockField).toBe('scheduled_at');
  });

  it('keeps error metadata ASCII when the offending field path has other characters', async () => {
    const err = await failure(api.schedules.createSchedule({ schedule: Schedule.fromPartial({ url: 'https://example.com/', intervalSeconds: 60, headers: { 'Grüße': 'x' } }) }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.tockField).toMatch(/^[ -~]+$/);
    expect(decodeURIComponent(String(err.tockField))).toContain('headers');
    await stillServing();
  });

  it('answers UNIMPLEMENTED for a method that does not exist', async () => {
    const err = await failure(sendBytes('/tock.v1.ScheduleService/DropAllTables', Buffer.alloc(0)));
    expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('treats a missing resource in a create request as an empty one', async () => {
    const err = await failure(api.schedules.createSchedule({ schedule: undefined }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.tockField).toBe('url');
  });

  it('logged none of the above as an internal error', () => {
    expect(h.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});
