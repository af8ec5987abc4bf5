import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../../client/src/gen/tock/v1/job.js';
import { Monitor } from '../../../client/src/gen/tock/v1/monitor.js';
import { Schedule } from '../../../client/src/gen/tock/v1/schedule.js';
import { grpcCall, RawJson, startSurfaces, trpcCall, type Surfaces } from './surfaces.js';

/**
 * Input that used to pass validation and then fail in the database (500 / INTERNAL), or be
 * stored and then fail every attempt, is refused when created or updated, with the field named,
 * over both gRPC and tRPC.
 */
let s: Surfaces;
let allowing: Surfaces;

beforeAll(async () => {
  [s, allowing] = await Promise.all([startSurfaces(), startSurfaces({ allowTargets: ['127.0.0.0/8', '10.0.0.0/8'] })]);
});
afterAll(async () => {
  await s?.close();
  await allowing?.close();
});

type Target = 'job' | 'schedule';

/** Creates a job or a schedule over gRPC with `fields` added to a valid one. */
function grpcCreate(target: Target, fields: { url?: string; headers?: Record<string, string>; scheduledAt?: Date }, on = s) {
  fields = { url: 'https://example.com/hook', ...fields };
  return target === 'job'
    ? grpcCall(on.grpc.jobs, on.grpc.jobs.createJob, { job: Job.fromPartial(fields) }, on.tenant.secret)
    : grpcCall(
        on.grpc.schedules,
        on.grpc.schedules.createSchedule,
        { schedule: Schedule.fromPartial({ intervalSeconds: 60, url: fields.url, headers: fields.headers }) },
        on.tenant.secret,
      );
}

function trpcCreate(target: Target, fields: Record<string, unknown>, on = s) {
  return trpcCall(on, target === 'job' ? 'jobs.create' : 'schedules.create', {
    url: 'https://example.com/hook',
    ...(target === 'schedule' ? { intervalSeconds: 60 } : {}),
    ...fields,
  });
}

const TARGETS: Target[] = ['job', 'schedule'];

describe('header names that are JavaScript property names', () => {
  it.each(TARGETS)('refuses constructor, toString and hasOwnProperty on a %s over gRPC and tRPC, naming the header', async (target) => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'Constructor']) {
      const g = await grpcCreate(target, { headers: { [name]: 'x' } });
      expect(g).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT, tockField: `headers.${name}` });
      const t = await trpcCreate(target, { headers: { [name]: 'x' } });
      expect(t).toMatchObject({ status: 400, tockCode: 'invalid_argument', field: `headers.${name}` });
      expect(t.message).toBe(`headers.${name}: is not allowed as a header name (a reserved JavaScript property name)`);
    }
  });

  it.each(TARGETS)('refuses a __proto__ header on a %s over tRPC instead of dropping it', async (target) => {
    const body = target === 'job' ? '{"url":"https://example.com/","headers":{"__proto__":"x"}}' : '{"url":"https://example.com/","intervalSeconds":60,"headers":{"__proto__":"x"}}';
    const t = await trpcCall(s, target === 'job' ? 'jobs.create' : 'schedules.create', new RawJson(body));
    expect(t).toMatchObject({ status: 400, field: 'headers.__proto__' });
  });

  it('refuses them in a schedule update too', async () => {
    const created = await trpcCreate('schedule', {});
    const id = (created.data as { id: string }).id;
    const t = await trpcCall(s, 'schedules.update', { id, patch: { headers: { valueOf: '1' } } });
    expect(t).toMatchObject({ status: 400, field: 'headers.valueOf' });
  });
});

describe('scheduled_at far from now', () => {
  it('refuses seconds -1e11 over gRPC and -8.64e15 ms over tRPC with a clear message', async () => {
    const g = await grpcCreate('job', { scheduledAt: new Date(-1e14) });
    expect(g).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT, tockField: 'scheduled_at' });
    if (!g.ok) expect(g.details).toBe('scheduled_at: must not be before 2000-01-01T00:00:00.000Z (a past time runs at once)');
    const t = await trpcCreate('job', { scheduledAt: -8.64e15 });
    expect(t).toMatchObject({ status: 400, field: 'scheduled_at' });
    expect(t.message).toMatch(/must not be before 2000-01-01/);
  });

  it('still takes a time in the past since 2000 (it runs at once) and refuses more than 5 years ahead', async () => {
    expect((await trpcCreate('job', { scheduledAt: '2001-01-01T00:00:00Z' })).status).toBe(200);
    const ahead = await trpcCreate('job', { scheduledAt: new Date(Date.now() + 6 * 366 * 86_400_000).toISOString() });
    expect(ahead).toMatchObject({ status: 400, field: 'scheduled_at', message: 'scheduled_at: must be within 5 years from now' });
  });
});

describe('header values no HTTP client can send', () => {
  const bad: Array<[string, string]> = [
    ['a control character', 'a\u0001b'],
    ['DEL', 'a\u007fb'],
    ['a character above Latin-1', 'Ā'],
    ['an emoji', '🙂'],
    ['a lone surrogate', '\ud800'],
  ];

  it.each(TARGETS)('refuses a value with a control character, DEL or a character outside Latin-1 on a %s, naming the header', async (target) => {
    for (const [, value] of bad) {
      const g = await grpcCreate(target, { headers: { 'X-Token': value } });
      expect(g).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT, tockField: 'headers.X-Token' });
      const t = await trpcCreate(target, { headers: { 'X-Token': value } });
      expect(t).toMatchObject({ status: 400, field: 'headers.X-Token' });
      expect(t.message).toMatch(/^headers\.X-Token: header values may hold only tab, space, visible ASCII and Latin-1 characters/);
    }
  });

  it('keeps tabs and Latin-1 characters, which are sent as they are', async () => {
    const t = await trpcCreate('job', { headers: { 'X-Name': 'Jürgen\tMüller' } });
    expect(t.status).toBe(200);
    expect((t.data as { headers: Record<string, string> }).headers).toEqual({ 'X-Name': 'Jürgen\tMüller' });
  });
});

describe('literal IP targets the target policy refuses', () => {
  const refused = [
    ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is a loopback address/],
    ['http://[::1]/', /::1 is a loopback address/],
    ['http://[::127.0.0.1]/', /::7f00:1 \(which carries 127\.0\.0\.1\) is a loopback address/],
    ['http://[::ffff:127.0.0.1]/', /127\.0\.0\.1 is a loopback address/],
    ['http://[64:ff9b::10.0.0.1]/', /carries 10\.0\.0\.1\) is a private-network address/],
    ['http://[2002:7f00:1::1]/', /carries 127\.0\.0\.1\) is a loopback address/],
    ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['http://10.1.2.3/', /private-network/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://[fe80::1]/', /link-local/],
  ] as const;

  it.each(refused)('refuses %s as a job url over gRPC and tRPC with invalid_url', async (url, reason) => {
    const g = await grpcCreate('job', { url });
    expect(g).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT, tockCode: 'invalid_url', tockField: 'url' });
    if (!g.ok) expect(g.details).toMatch(reason);
    const t = await trpcCreate('job', { url });
    expect(t).toMatchObject({ status: 400, tockCode: 'invalid_url', field: 'url' });
    expect(t.message).toMatch(/allow it with TOCK_ALLOW_TARGETS$/);
  });

  it('refuses them as a schedule url, a schedule or monitor alert webhook and a job webhook, naming each field', async () => {
    const url = 'http://[::ffff:169.254.169.254]/';
    expect(await trpcCreate('schedule', { url })).toMatchObject({ status: 400, tockCode: 'invalid_url', field: 'url' });
    expect(await trpcCreate('schedule', { alertWebhook: url })).toMatchObject({ status: 400, tockCode: 'invalid_url', field: 'alert_webhook' });
    expect(await trpcCreate('job', { webhookUrl: url })).toMatchObject({ status: 400, tockCode: 'invalid_url', field: 'webhook_url' });
    expect(await trpcCall(s, 'monitors.create', { periodSeconds: 60, alertWebhook: url })).toMatchObject({ status: 400, field: 'alert_webhook' });
    const monitor = await grpcCall(s.grpc.monitors, s.grpc.monitors.createMonitor, { monitor: Monitor.fromPartial({ periodSeconds: 60, alertWebhook: url }) }, s.tenant.secret);
    expect(monitor).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT, tockField: 'alert_webhook' });
  });

  it('refuses them in an update', async () => {
    const id = ((await trpcCreate('schedule', {})).data as { id: string }).id;
    expect(await trpcCall(s, 'schedules.update', { id, patch: { url: 'http://192.168.0.10/' } })).toMatchObject({ status: 400, field: 'url' });
    const monitorId = ((await trpcCall(s, 'monitors.create', { periodSeconds: 60 })).data as { id: string }).id;
    expect(await trpcCall(s, 'monitors.update', { id: monitorId, patch: { alertWebhook: 'http://[::10.0.0.1]/' } })).toMatchObject({ status: 400, field: 'alert_webhook' });
  });

  it('accepts public literal addresses, and host names, which are judged when a call connects', async () => {
    for (const url of ['http://93.184.216.34/hook', 'http://[2606:4700::1111]/', 'http://[64:ff9b::8.8.8.8]/', 'http://localhost:9/']) {
      expect((await trpcCreate('job', { url })).status).toBe(200);
    }
  });

  it('accepts what TOCK_ALLOW_TARGETS allows, in any of its spellings', async () => {
    for (const url of ['http://127.0.0.1:8080/', 'http://[::ffff:127.0.0.1]/', 'http://[::127.0.0.1]/', 'http://10.9.9.9/']) {
      expect((await trpcCreate('job', { url }, allowing)).status).toBe(200);
      expect(await grpcCreate('schedule', { url }, allowing)).toMatchObject({ ok: true });
    }
    expect(await trpcCreate('job', { url: 'http://192.168.1.1/' }, allowing)).toMatchObject({ status: 400, field: 'url' });
  });
});

describe('a host header', () => {
  it.each(TARGETS)('is refused on a %s like the other headers the HTTP client sets', async (target) => {
    for (const name of ['host', 'Host']) {
      const g = await grpcCreate(target, { headers: { [name]: 'internal.example' } });
      expect(g).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT, tockField: `headers.${name}` });
      const t = await trpcCreate(target, { headers: { [name]: 'internal.example' } });
      expect(t).toMatchObject({ status: 400, field: `headers.${name}` });
      expect(t.message).toBe(`headers.${name}: is set from the URL's host; remove this header and put the host in url`);
    }
  });
});

describe('text the database cannot store as sent', () => {
  it('refuses a NUL character or an unpaired surrogate in a name, a body or a description, naming the field', async () => {
    expect(await trpcCreate('schedule', { name: 'nightly\u0000' })).toMatchObject({ status: 400, field: 'name' });
    expect(await trpcCreate('job', { body: '{"a":"\u0000"}' })).toMatchObject({ status: 400, field: 'body' });
    expect(await trpcCreate('schedule', { description: 'half \ud83d' })).toMatchObject({ status: 400, field: 'description' });
    const g = await grpcCall(s.grpc.monitors, s.grpc.monitors.createMonitor, { monitor: Monitor.fromPartial({ periodSeconds: 60, name: 'a\u0000b' }) }, s.tenant.secret);
    expect(g).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT, tockField: 'name' });
  });

  it('refuses an empty cron next to an interval instead of failing the trigger constraint', async () => {
    expect(await trpcCall(s, 'monitors.create', { periodSeconds: 60, cron: '' })).toMatchObject({ status: 400, field: 'cron' });
    expect(await trpcCreate('schedule', { cron: '' })).toMatchObject({ status: 400, field: 'cron' });
  });

  it('counts a ping whose body holds a NUL character or an unpaired surrogate, keeping the body with them replaced', async () => {
    const id = ((await trpcCall(s, 'monitors.create', { periodSeconds: 60 })).data as { id: string }).id;
    const ping = await trpcCall(s, 'monitors.recordPing', { id, body: 'exit\u0000code \ud800 1' });
    expect(ping).toMatchObject({ status: 200, data: { pingCount: 1, status: 'up' } });
    const [row] = await s.t.database.db.execute<{ body: string }>('select body from pings where monitor_id = ?', [id]);
    expect(row.body).toBe('exit\ufffdcode \ufffd 1');
  });

  it('stores an empty alert webhook as none', async () => {
    const created = await trpcCreate('schedule', { alertWebhook: '' });
    expect(created.status).toBe(200);
    expect((created.data as { alertWebhook: string | null }).alertWebhook).toBeNull();
  });
});

describe('none of the above', () => {
  it('was an internal error', () => {
    expect(s.grpcErrors).toEqual([]);
    expect(s.trpc.logs).toEqual([]);
  });
});
