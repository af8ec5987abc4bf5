import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Schedule } from '../../../client/src/gen/tock/v1/schedule.js';
import { grpcCall, startSurfaces, trpcCall, type Surfaces } from './surfaces.js';

/**
 * Values a client sends come back in error messages only cut to a couple of hundred characters.
 * Over gRPC a long message travels in the status trailer; above ~100 KB grpc-js never delivers
 * it and every later call on the channel stalls.
 */
let s: Surfaces;

beforeAll(async () => {
  s = await startSurfaces();
});
afterAll(() => s?.close());

const LONG_ID = 'sched_' + 'x'.repeat(150_000);

describe('long input echoed in errors', () => {
  it('answers a 150,000-character id NOT_FOUND with a short message, and the same channel keeps answering within a second', async () => {
    const missing = await grpcCall(s.grpc.schedules, s.grpc.schedules.getSchedule, { id: LONG_ID }, s.tenant.secret, 1_000);
    expect(missing).toMatchObject({ ok: false, code: status.NOT_FOUND });
    if (missing.ok) return;
    expect(missing.details.length).toBeLessThan(300);
    expect(missing.details).toMatch(/^No schedule with id 'sched_x+…\(truncated\)'$/);

    const next = await grpcCall(s.grpc.schedules, s.grpc.schedules.listSchedules, { pageSize: 1, pageToken: '', state: '' }, s.tenant.secret, 1_000);
    expect(next.ok).toBe(true);
    expect(missing.elapsedMs + next.elapsedMs).toBeLessThan(2_000);
  });

  it('cuts a long time zone, cron expression and unknown field name in gRPC messages and keeps tock-error-field short', async () => {
    const cases: Array<[Partial<Schedule>, string]> = [
      [{ url: 'https://example.com/', cron: '0 3 * * *', timezone: 'Zone/' + 'y'.repeat(99) }, 'timezone'],
      [{ url: 'https://example.com/', cron: '0 '.repeat(250) }, 'cron'],
      [{ url: 'https://example.com/', intervalSeconds: 60, headers: { ['H' + 'é'.repeat(300)]: 'x' } }, 'headers'],
    ];
    for (const [schedule, field] of cases) {
      const out = await grpcCall(s.grpc.schedules, s.grpc.schedules.createSchedule, { schedule: Schedule.fromPartial(schedule) }, s.tenant.secret, 1_000);
      expect(out).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT });
      if (out.ok) continue;
      expect(out.details.length).toBeLessThanOrEqual(1_000);
      expect(decodeURIComponent(out.tockField ?? '')).toMatch(new RegExp(`^${field}`));
      expect(out.tockField!.length).toBeLessThan(2_000);
    }
  });

  it('cuts the same values in tRPC messages', async () => {
    // A mutation: the id travels in the body (a query's URL this long is refused by Node's HTTP parser).
    const missing = await trpcCall(s, 'schedules.pause', { id: LONG_ID });
    expect(missing.status).toBe(404);
    expect(missing.message).toMatch(/^No schedule with id 'sched_x+…\(truncated\)'$/);
    expect(missing.message!.length).toBeLessThan(300);

    const unknown = await trpcCall(s, 'schedules.create', { url: 'https://example.com/', cron: '0 3 * * *', ['k'.repeat(100_000)]: 1 });
    expect(unknown).toMatchObject({ status: 400, tockCode: 'invalid_argument' });
    expect(unknown.message).toMatch(/^Unknown field: k+…\(truncated\)$/);
    expect(unknown.field!.length).toBeLessThan(300);

    const badCron = await trpcCall(s, 'monitors.create', { cron: 'x'.repeat(400) + ' * * * *' });
    expect(badCron).toMatchObject({ status: 400, tockCode: 'invalid_cron', field: 'cron' });
    expect(badCron.message!.length).toBeLessThanOrEqual(1_000);
  });
});
