import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../server/core/clock.js';
import { Receiver, until } from '../../../integration/timer/harness.js';
import { idOf, ISO_SECONDS, startFliqServer, type FliqServer } from './harness.js';

/**
 * What the Fliq document (and the choices docs/rest-fliq.md writes down) says beyond shapes:
 * defaults, `scheduled_at` in the future, idempotency keys, cancel 404/409, statuses, paging,
 * webhooks stored on jobs and schedules, 5-part UTC cron, schedule delete, the daily limit.
 * `s` runs on a clock set by hand (no timer); `live` on the real clock with a timer calling a
 * loopback receiver.
 */
const T0 = new Date('2026-06-01T12:00:00Z');
const clock = new ManualClock(T0);
let s: FliqServer;
let live: FliqServer;
let receiver: Receiver;
/** Responses the receiver holds open (path `/hold`) until a test releases them. */
const held: ServerResponse[] = [];

const later = '2026-06-02T09:00:00Z';
const ids = (list: Array<{ id: string }>) => list.map((x) => x.id);

beforeAll(async () => {
  s = await startFliqServer({ clock });
  live = await startFliqServer();
  receiver = await new Receiver((req, res) => {
    if (req.url === '/hold') held.push(res);
    else if (req.url === '/fail') res.writeHead(500).end('down');
    else res.writeHead(200).end('ok');
  }).listen();
  await live.startTimer();
});
afterAll(async () => {
  for (const res of held) res.end();
  await live?.close();
  await s?.close();
  await receiver?.close();
});

/** Creates a job on `live` due in about a second, to the receiver's `path`. */
async function liveJob(path: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await live.call('POST', '/v1/jobs', { body: { url: `${receiver.url}${path}`, scheduled_at: new Date(Date.now() + 1_000).toISOString(), ...extra } });
  expect(res.status).toBe(201);
  return res.json.id;
}

const statusOf = async (server: FliqServer, id: string) => (await server.call('GET', `/v1/jobs/${id}`)).json.status as string;

describe('creating jobs', () => {
  it('takes the documented defaults: http_method POST, max_retries 0, no headers or body', async () => {
    const res = await s.call('POST', '/v1/jobs', { body: { url: 'https://app.example/run', scheduled_at: later } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ http_method: 'POST', max_retries: 0, headers: {}, body: null, idempotency_key: null, webhook_url: null, webhook_headers: {} });
    const stored = await s.t.core.jobs.get(s.admin.actor, res.json.id);
    expect(stored).toMatchObject({ method: 'POST', maxRetries: 0, headers: {}, body: null, source: 'api' });
  });

  it('stores what it is given: method (any case), headers, body, retries', async () => {
    const res = await s.call('POST', '/v1/jobs', {
      body: { url: 'https://app.example/put', http_method: 'put', scheduled_at: later, headers: { 'X-Trace': 'a1' }, body: '{"n":1}', max_retries: 4 },
    });
    expect(res.json).toMatchObject({ http_method: 'PUT', headers: { 'X-Trace': 'a1' }, body: '{"n":1}', max_retries: 4 });
    expect(await s.t.core.jobs.get(s.admin.actor, res.json.id)).toMatchObject({ method: 'PUT', headers: { 'X-Trace': 'a1' }, body: '{"n":1}', maxRetries: 4 });
  });

  it('takes scheduled_at with an offset and answers it in UTC, keeping milliseconds when given', async () => {
    const offset = await s.call('POST', '/v1/jobs', { body: { url: 'https://app.example/a', scheduled_at: '2026-06-02T11:00:00+02:00' } });
    expect(offset.json.scheduled_at).toBe('2026-06-02T09:00:00Z');
    expect(offset.json.scheduled_at).toMatch(ISO_SECONDS);
    const ms = await s.call('POST', '/v1/jobs', { body: { url: 'https://app.example/a', scheduled_at: '2026-06-02T09:00:00.250Z' } });
    expect(ms.json.scheduled_at).toBe('2026-06-02T09:00:00.250Z');
  });

  it('refuses a scheduled_at more than 1 s in the past with invalid_scheduled_at, and takes one within that skew', async () => {
    const past = await s.call('POST', '/v1/jobs', { body: { url: 'https://app.example/a', scheduled_at: new Date(T0.getTime() - 1_001).toISOString() } });
    expect(past.status).toBe(400);
    expect(past.json.error).toEqual({ code: 'invalid_scheduled_at', message: 'scheduled_at must be in the future (got 2026-06-01T11:59:58.999Z; server time is 2026-06-01T12:00:00.000Z)' });
    const skewed = await s.call('POST', '/v1/jobs', { body: { url: 'https://app.example/a', scheduled_at: new Date(T0.getTime() - 999).toISOString() } });
    expect(skewed.status).toBe(201);
  });

  it('returns the first job for a replayed idempotency_key (200, Idempotent-Replayed), and refuses the key for another call (409)', async () => {
    const body = { url: 'https://app.example/charge', scheduled_at: later, idempotency_key: 'order-7' };
    const first = await s.call('POST', '/v1/jobs', { body });
    expect(first.status).toBe(201);
    expect(first.json.idempotency_key).toBe('order-7');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await s.call('POST', '/v1/jobs', { body });
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json).toEqual(first.json);
    const other = await s.call('POST', '/v1/jobs', { body: { ...body, url: 'https://app.example/refund' } });
    expect(other.status).toBe(409);
    expect(other.json.error).toMatchObject({ code: 'idempotency_conflict', message: expect.stringContaining(first.json.id) });
    const keyed = (await s.t.core.jobs.list(s.admin.actor, { pageSize: 200 })).items.filter((j) => j.idempotencyKey === 'order-7');
    expect(keyed.map((j) => j.id)).toEqual([first.json.id]);
  });

  it('stores webhook_url and webhook_headers on the job and returns them', async () => {
    const res = await s.call('POST', '/v1/jobs', {
      body: { url: 'https://app.example/a', scheduled_at: later, webhook_url: 'https://hooks.example/done', webhook_headers: { Authorization: 'Bearer hook' } },
    });
    expect(res.json).toMatchObject({ webhook_url: 'https://hooks.example/done', webhook_headers: { Authorization: 'Bearer hook' } });
    expect(await s.t.core.jobs.get(s.admin.actor, res.json.id)).toMatchObject({ webhookUrl: 'https://hooks.example/done', webhookHeaders: { Authorization: 'Bearer hook' } });
    expect((await s.call('GET', `/v1/jobs/${res.json.id}`)).json.webhook_url).toBe('https://hooks.example/done');
  });
});

describe('cancelling jobs', () => {
  it('takes a DELETE that says Content-Type: application/json but sends no body', async () => {
    const id = (await s.call('POST', '/v1/jobs', { body: { url: 'https://app.example/a', scheduled_at: later } })).json.id;
    const res = await s.call('DELETE', `/v1/jobs/${id}`, { headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('cancelled');
    const empty = await s.call('POST', '/v1/jobs', { body: '', headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
  });

  it('answers 404 for a job that does not exist, and cancelling twice answers the cancelled job', async () => {
    expect((await s.call('DELETE', '/v1/jobs/job_nope')).status).toBe(404);
    const id = (await s.call('POST', '/v1/jobs', { body: { url: 'https://app.example/a', scheduled_at: later } })).json.id;
    expect((await s.call('DELETE', `/v1/jobs/${id}`)).json.status).toBe('cancelled');
    const twice = await s.call('DELETE', `/v1/jobs/${id}`);
    expect(twice.status).toBe(200);
    expect(twice.json.status).toBe('cancelled');
  });

  it('answers 409 once the job has executed, and leaves it as it was', async () => {
    const id = await liveJob('/done');
    await until(async () => (await statusOf(live, id)) === 'success', { timeoutMs: 15_000 });
    const res = await live.call('DELETE', `/v1/jobs/${id}`);
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'job_already_executed', message: expect.stringContaining(id) });
    expect(await statusOf(live, id)).toBe('success');
  });
});

describe('job statuses', () => {
  it('shows a job whose call is in flight as scheduled, lists it under status=scheduled, then success', async () => {
    const id = await liveJob('/hold');
    await until(() => held.length === 1, { timeoutMs: 15_000, message: 'the call did not arrive' });
    expect((await live.t.core.jobs.get(live.admin.actor, id)).status).toBe('running');
    expect(await statusOf(live, id)).toBe('scheduled');
    expect(ids((await live.call('GET', '/v1/jobs?status=scheduled')).json.jobs)).toContain(id);
    expect(ids((await live.call('GET', '/v1/jobs?status=success')).json.jobs)).not.toContain(id);
    held[0].writeHead(200).end('ok');
    await until(async () => (await statusOf(live, id)) === 'success', { timeoutMs: 15_000 });
    expect(ids((await live.call('GET', '/v1/jobs?status=success')).json.jobs)).toContain(id);
    expect(ids((await live.call('GET', '/v1/jobs?status=scheduled')).json.jobs)).not.toContain(id);
  });

  it('shows a failed call as failed, with a failed execution carrying the status code', async () => {
    const id = await liveJob('/fail');
    await until(async () => (await statusOf(live, id)) === 'failed', { timeoutMs: 15_000 });
    expect((await live.call('GET', `/v1/jobs/${id}`)).json).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 500 });
    expect((await live.call('GET', `/v1/jobs/${id}/executions`)).json.executions).toEqual([
      expect.objectContaining({ attempt_num: 1, status: 'failed', status_code: 500 }),
    ]);
    expect(ids((await live.call('GET', '/v1/jobs?status=failed')).json.jobs)).toContain(id);
  });

  it('lists every attempt of a retried job, first attempt first', async () => {
    const id = await liveJob('/fail', { max_retries: 1 });
    await until(async () => (await statusOf(live, id)) === 'failed', { timeoutMs: 20_000 });
    const executions = (await live.call('GET', `/v1/jobs/${id}/executions`)).json.executions;
    expect(executions.map((e: { attempt_num: number }) => e.attempt_num)).toEqual([1, 2]);
    expect((await live.call('GET', `/v1/jobs/${id}`)).json.attempts).toBe(2);
  });

  it('refuses a target the policy would refuse when the job is created, saying why', async () => {
    // A literal metadata address can be judged at once; no job is stored that could only fail.
    const res = await live.call('POST', '/v1/jobs', { body: { url: 'http://169.254.169.254/latest', scheduled_at: new Date(Date.now() + 1_000).toISOString() } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'invalid_url', message: expect.stringContaining('TOCK_ALLOW_TARGETS') });
  });
});

describe('listing', () => {
  let tenant: Awaited<ReturnType<FliqServer['t']['tenant']>>;

  beforeAll(async () => {
    tenant = await s.t.tenant('many');
    for (let i = 0; i < 101; i++) await s.t.core.jobs.create(tenant.actor, { url: `https://app.example/${i}`, scheduledAt: later });
  });

  it('pages 20 jobs by default and at most 100, newest first, until next_cursor is null', async () => {
    const first = await s.call('GET', '/v1/jobs', { key: tenant.secret });
    expect(first.json.jobs).toHaveLength(20);
    expect(first.json.next_cursor).toEqual(expect.any(String));
    const big = await s.call('GET', '/v1/jobs?limit=500', { key: tenant.secret });
    expect(big.json.jobs).toHaveLength(100);
    const rest = await s.call('GET', `/v1/jobs?limit=100&cursor=${big.json.next_cursor}`, { key: tenant.secret });
    expect(rest.json.jobs).toHaveLength(1);
    expect(rest.json.next_cursor).toBeNull();
    expect(rest.json.jobs[0].url).toBe('https://app.example/0');
    expect(big.json.jobs[0].url).toBe('https://app.example/100');
  });

  it('filters by status with Fliq values', async () => {
    const [one] = (await s.t.core.jobs.list(tenant.actor, { pageSize: 1 })).items;
    await s.t.core.jobs.cancel(tenant.actor, one.id);
    expect(ids((await s.call('GET', '/v1/jobs?status=cancelled', { key: tenant.secret })).json.jobs)).toEqual([one.id]);
    expect((await s.call('GET', '/v1/jobs?status=success', { key: tenant.secret })).json).toEqual({ jobs: [], next_cursor: null });
    expect((await s.call('GET', '/v1/jobs?status=scheduled&limit=100', { key: tenant.secret })).json.jobs).toHaveLength(100);
  });
});

describe('schedules', () => {
  it('take the documented defaults, run in UTC, and store webhook_url and webhook_headers for their jobs', async () => {
    const res = await s.call('POST', '/v1/schedules', {
      body: { url: 'https://app.example/digest', cron: '30 6 * * *', webhook_url: 'https://hooks.example/s', webhook_headers: { 'X-Hook': 'k' } },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      http_method: 'POST',
      max_retries: 0,
      timezone: 'UTC',
      status: 'active',
      next_run_at: '2026-06-02T06:30:00Z',
      webhook_url: 'https://hooks.example/s',
      webhook_headers: { 'X-Hook': 'k' },
    });
    const stored = await s.t.core.schedules.get(s.admin.actor, res.json.id);
    expect(stored).toMatchObject({ method: 'POST', maxRetries: 0, timezone: 'UTC', cron: '30 6 * * *', webhookUrl: 'https://hooks.example/s', webhookHeaders: { 'X-Hook': 'k' } });
    // A run started now (a trigger) carries the schedule's webhook.
    const run = await s.t.core.schedules.trigger(s.admin.actor, res.json.id);
    expect((await s.call('GET', `/v1/jobs/${run.id}`)).json).toMatchObject({ schedule_id: res.json.id, webhook_url: 'https://hooks.example/s', webhook_headers: { 'X-Hook': 'k' } });
  });

  it('are read back by id (GET /v1/schedules/:id), paused ones as paused with no next run', async () => {
    const created = (await s.call('POST', '/v1/schedules', { body: { url: 'https://app.example/p', cron: '0 * * * *' } })).json;
    expect((await s.call('GET', `/v1/schedules/${created.id}`)).json).toEqual(created);
    await s.t.core.schedules.pause(s.admin.actor, created.id);
    expect((await s.call('GET', `/v1/schedules/${created.id}`)).json).toMatchObject({ status: 'paused', next_run_at: null });
    expect((await s.call('GET', '/v1/schedules/sched_nope')).status).toBe(404);
  });

  it('refuse a 6-part cron (seconds) and other field counts, naming the 5 parts expected', async () => {
    const six = await s.call('POST', '/v1/schedules', { body: { url: 'https://app.example/p', cron: '0 0 8 * * 1-5' } });
    expect(six.status).toBe(400);
    expect(six.json.error).toEqual({
      code: 'invalid_cron',
      message: "Invalid cron expression: '0 0 8 * * 1-5' (expected 5 parts: minute hour day-of-month month day-of-week, in UTC; got 6 (a seconds field is not supported: drop the first part))",
    });
    const three = await s.call('POST', '/v1/schedules', { body: { url: 'https://app.example/p', cron: '0 8 *' } });
    expect(three.json.error).toMatchObject({ code: 'invalid_cron', message: expect.stringContaining('expected 5 parts') });
    const values = await s.call('POST', '/v1/schedules', { body: { url: 'https://app.example/p', cron: '61 8 * * *' } });
    expect(values.status).toBe(400);
    expect(values.json.error.code).toBe('invalid_cron');
  });

  it('stop on delete: the schedule is gone and its runs not yet sent are cancelled', async () => {
    const created = (await s.call('POST', '/v1/schedules', { body: { url: 'https://app.example/d', cron: '0 8 * * *' } })).json;
    const run = await s.t.core.schedules.trigger(s.admin.actor, created.id);
    expect(await statusOf(s, run.id)).toBe('scheduled');
    expect((await s.call('DELETE', `/v1/schedules/${created.id}`)).json).toEqual({ id: created.id, deleted: true });
    expect(await statusOf(s, run.id)).toBe('cancelled');
    expect((await s.call('DELETE', `/v1/schedules/${created.id}`)).status).toBe(404);
  });
});

describe('the daily execution limit', () => {
  let limited: FliqServer;
  let run: string;

  beforeAll(async () => {
    limited = await startFliqServer({ dailyExecutionLimit: 1 });
    await limited.startTimer();
    const res = await limited.call('POST', '/v1/jobs', {
      body: { url: `${receiver.url}/limited`, scheduled_at: new Date(Date.now() + 1_000).toISOString(), idempotency_key: 'first' },
    });
    run = res.json.id;
    await until(async () => (await statusOf(limited, run)) === 'success', { timeoutMs: 15_000 });
  });
  afterAll(() => limited?.close());

  it('answers 429 daily execution limit reached on creates once the project made its executions today, with Retry-After', async () => {
    const job = await limited.call('POST', '/v1/jobs', { body: { url: 'https://app.example/a', scheduled_at: new Date(Date.now() + 60_000).toISOString() } });
    expect(job.status).toBe(429);
    expect(job.json.error).toMatchObject({ code: 'daily_execution_limit', message: expect.stringMatching(/^daily execution limit reached/) });
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    const retryAfter = Number(job.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((midnight.getTime() - Date.now()) / 1000) + 1);
    const schedule = await limited.call('POST', '/v1/schedules', { body: { url: 'https://app.example/a', cron: '0 8 * * *' } });
    expect(schedule.status).toBe(429);
    expect(schedule.json.error.code).toBe('daily_execution_limit');
    expect((await limited.call('GET', '/v1/schedules')).json).toEqual({ schedules: [], next_cursor: null });
  });

  it('still reads, and still answers a replayed idempotency key with its job', async () => {
    expect((await limited.call('GET', `/v1/jobs/${run}`)).status).toBe(200);
    const replay = await limited.call('POST', '/v1/jobs', { body: { url: `${receiver.url}/limited`, scheduled_at: new Date(Date.now() + 1_000).toISOString(), idempotency_key: 'first' } });
    expect(replay.status).toBe(200);
    expect(replay.json.id).toBe(run);
  });

  it('counts per project: another account on the same server creates', async () => {
    const other = await limited.t.tenant('other');
    const res = await limited.call('POST', '/v1/jobs', { key: other.secret, body: { url: 'https://app.example/a', scheduled_at: new Date(Date.now() + 60_000).toISOString() } });
    expect(res.status).toBe(201);
    expect(res.json.id).toMatch(idOf('job'));
  });
});

describe('the description', () => {
  it('lists every Fliq path in /openapi.json with the request schemas the routes validate with', async () => {
    const doc = (await s.call('GET', '/openapi.json', { key: null })).json;
    for (const [path, methods] of Object.entries({
      '/v1/jobs': ['get', 'post'],
      '/v1/jobs/{id}': ['get', 'delete'],
      '/v1/jobs/{id}/executions': ['get'],
      '/v1/schedules': ['get', 'post'],
      '/v1/schedules/{id}': ['get', 'delete'],
    })) {
      expect(Object.keys(doc.paths[path]).sort(), path).toEqual([...methods].sort());
      for (const m of methods) expect(doc.paths[path][m].tags).toEqual(['fliq']);
    }
    const create = doc.paths['/v1/jobs'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(['url', 'scheduled_at']);
    expect(create.additionalProperties).toBe(false);
    const status = doc.paths['/v1/jobs'].get.parameters.find((p: { name: string }) => p.name === 'status');
    expect(status.schema.enum).toEqual(['scheduled', 'success', 'failed', 'cancelled']);
  });
});

describe('the per-key rate limit', () => {
  it('answers 429 in Fliq\'s shape with Retry-After once a key used its requests for the minute', async () => {
    const limitedRate = await startFliqServer({ ratePerKey: 3 });
    try {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await limitedRate.call('GET', '/v1/jobs'));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
      expect(answers[3].json.error).toMatchObject({ code: 'rate_limited' });
      expect(Number(answers[3].headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await limitedRate.close();
    }
  });
});
