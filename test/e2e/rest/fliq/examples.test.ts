import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../server/core/clock.js';
import { Receiver, until } from '../../../integration/timer/harness.js';
import { idOf, ISO_TIME, startFliqServer, type FliqServer } from './harness.js';

/**
 * Every example of the Fliq API document, replayed unchanged against a real server (base URL
 * and key swapped), each answer checked field by field against the documented one: ids and
 * times by shape, except where the server's clock is set to the document's own moment (its
 * examples were made at 2026-03-10T14:22:01Z), so `created_at` and `next_run_at` match exactly.
 * The document gives create bodies as field lists; the requests replayed are the ones its
 * example responses describe.
 */
const clock = new ManualClock(new Date('2026-03-10T14:22:01Z'));
let s: FliqServer;

beforeAll(async () => {
  s = await startFliqServer({ clock });
});
afterAll(() => s?.close());

describe('the Fliq document, example by example', () => {
  let jobId = '';

  it('Create a job: POST /v1/jobs answers 201 with the documented job', async () => {
    const res = await s.call('POST', '/v1/jobs', { body: { url: 'https://yourapp.com/api/charge', scheduled_at: '2026-04-01T09:00:00Z', max_retries: 3 } });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toMatchObject({
      id: expect.stringMatching(idOf('job')),
      url: 'https://yourapp.com/api/charge',
      http_method: 'POST',
      scheduled_at: '2026-04-01T09:00:00Z',
      max_retries: 3,
      status: 'scheduled',
      created_at: '2026-03-10T14:22:01Z',
    });
    expect(res.json.id).toMatch(/^job_01/);
    jobId = res.json.id;
  });

  it('Get a job: GET /v1/jobs/{job_id} returns the job with its current status and execution count', async () => {
    const res = await s.call('GET', `/v1/jobs/${jobId}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: jobId,
      url: 'https://yourapp.com/api/charge',
      http_method: 'POST',
      scheduled_at: '2026-04-01T09:00:00Z',
      max_retries: 3,
      status: 'scheduled',
      attempts: 0,
      created_at: '2026-03-10T14:22:01Z',
    });
  });

  it('List jobs: GET /v1/jobs?status=scheduled&limit=50&cursor=... pages with the cursor of the previous answer', async () => {
    const more = [];
    for (let i = 0; i < 2; i++) {
      const res = await s.call('POST', '/v1/jobs', { body: { url: `https://yourapp.com/api/charge/${i}`, scheduled_at: '2026-04-01T09:00:00Z' } });
      more.push(res.json.id as string);
    }
    const all = await s.call('GET', '/v1/jobs?status=scheduled&limit=50');
    expect(all.status).toBe(200);
    expect(all.json).toEqual({ jobs: expect.any(Array), next_cursor: null });
    expect(all.json.jobs.map((j: { id: string }) => j.id)).toEqual([...more].reverse().concat(jobId));
    expect(all.json.jobs.every((j: { status: string }) => j.status === 'scheduled')).toBe(true);

    const first = await s.call('GET', '/v1/jobs?status=scheduled&limit=1');
    expect(first.json.jobs.map((j: { id: string }) => j.id)).toEqual([more[1]]);
    expect(first.json.next_cursor).toEqual(expect.any(String));
    const rest = await s.call('GET', `/v1/jobs?status=scheduled&limit=50&cursor=${encodeURIComponent(first.json.next_cursor)}`);
    expect(rest.status).toBe(200);
    expect(rest.json.jobs.map((j: { id: string }) => j.id)).toEqual([more[0], jobId]);
    expect(rest.json.next_cursor).toBeNull();
  });

  it('Cancel a job: DELETE /v1/jobs/{job_id} cancels a job that has not fired', async () => {
    const res = await s.call('DELETE', `/v1/jobs/${jobId}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: jobId, status: 'cancelled' });
    expect((await s.call('GET', `/v1/jobs/${jobId}`)).json.status).toBe('cancelled');
    expect((await s.call('GET', '/v1/jobs?status=cancelled')).json.jobs.map((j: { id: string }) => j.id)).toEqual([jobId]);
  });

  it("Cancel a job: answers 404 when the job doesn't exist", async () => {
    const res = await s.call('DELETE', '/v1/jobs/job_01hxzzzzzzzzzzzzzzzzzzzzzz');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: { code: 'not_found', message: expect.stringContaining('job_01hxzzzzzzzzzzzzzzzzzzzzzz') } });
  });

  let scheduleId = '';

  it('Create a schedule: POST /v1/schedules answers 201 with the documented schedule', async () => {
    const res = await s.call('POST', '/v1/schedules', { body: { url: 'https://yourapp.com/api/digest', cron: '0 8 * * 1-5' } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      id: expect.stringMatching(idOf('sched')),
      url: 'https://yourapp.com/api/digest',
      cron: '0 8 * * 1-5',
      status: 'active',
      created_at: '2026-03-10T14:22:01Z',
      next_run_at: '2026-03-11T08:00:00Z',
    });
    expect(res.json.id).toMatch(/^sched_01/);
    scheduleId = res.json.id;
  });

  it('List schedules: GET /v1/schedules?limit=50&cursor=... pages with the cursor of the previous answer', async () => {
    const second = (await s.call('POST', '/v1/schedules', { body: { url: 'https://yourapp.com/api/weekly', cron: '0 9 * * 1' } })).json.id;
    const all = await s.call('GET', '/v1/schedules?limit=50');
    expect(all.status).toBe(200);
    expect(all.json).toEqual({
      schedules: [
        expect.objectContaining({ id: scheduleId, url: 'https://yourapp.com/api/digest', cron: '0 8 * * 1-5', status: 'active', next_run_at: '2026-03-11T08:00:00Z' }),
        expect.objectContaining({ id: second, cron: '0 9 * * 1', status: 'active', next_run_at: '2026-03-16T09:00:00Z' }),
      ],
      next_cursor: null,
    });
    const first = await s.call('GET', '/v1/schedules?limit=1');
    expect(first.json.schedules.map((x: { id: string }) => x.id)).toEqual([scheduleId]);
    const rest = await s.call('GET', `/v1/schedules?limit=50&cursor=${encodeURIComponent(first.json.next_cursor)}`);
    expect(rest.json).toEqual({ schedules: [expect.objectContaining({ id: second })], next_cursor: null });
  });

  it('Delete a schedule: DELETE /v1/schedules/{schedule_id} stops its future executions', async () => {
    const res = await s.call('DELETE', `/v1/schedules/${scheduleId}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: scheduleId, deleted: true });
    expect((await s.call('GET', `/v1/schedules/${scheduleId}`)).status).toBe(404);
    expect((await s.call('GET', '/v1/schedules?limit=50')).json.schedules.map((x: { id: string }) => x.id)).not.toContain(scheduleId);
  });

  it('Errors: a scheduled_at in the past answers 400 with the documented body', async () => {
    const res = await s.call('POST', '/v1/jobs', { body: { url: 'https://yourapp.com/api/charge', scheduled_at: '2026-03-01T09:00:00Z' } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { code: 'invalid_scheduled_at', message: expect.stringMatching(/^scheduled_at must be in the future/) } });
  });

  it('Authentication: the document\'s placeholder token is no key of this server: 401 in the error shape', async () => {
    const res = await s.call('GET', '/v1/jobs', { key: 'fliq_sk_your_token' });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: { code: 'unauthenticated', message: expect.stringContaining('Authorization: Bearer') } });
  });
});

describe('the executions example, against a firing timer', () => {
  let live: FliqServer;
  let receiver: Receiver;

  beforeAll(async () => {
    live = await startFliqServer();
    receiver = await new Receiver().listen();
    await live.startTimer();
  });
  afterAll(async () => {
    await live?.close();
    await receiver?.close();
  });

  it('List executions for a job: GET /v1/jobs/{job_id}/executions answers the documented attempt', async () => {
    const scheduledAt = new Date(Date.now() + 1_500).toISOString();
    const created = await live.call('POST', '/v1/jobs', { body: { url: `${receiver.url}/api/charge`, scheduled_at: scheduledAt } });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    await until(async () => (await live.call('GET', `/v1/jobs/${id}`)).json.status === 'success', { timeoutMs: 15_000, message: 'the job did not succeed' });
    expect(receiver.to('/api/charge')).toHaveLength(1);
    expect(receiver.to('/api/charge')[0].method).toBe('POST');

    const res = await live.call('GET', `/v1/jobs/${id}/executions`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      executions: [
        {
          id: expect.stringMatching(idOf('exec')),
          attempt_num: 1,
          status: 'success',
          status_code: 200,
          duration_ms: expect.any(Number),
          executed_at: expect.stringMatching(ISO_TIME),
          error: null,
        },
      ],
    });
    expect(res.json.executions[0].duration_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(res.json.executions[0].executed_at)).toBeGreaterThanOrEqual(Date.parse(scheduledAt) - 1_000);
    const job = (await live.call('GET', `/v1/jobs/${id}`)).json;
    expect(job).toMatchObject({ status: 'success', attempts: 1, last_status_code: 200, completed_at: expect.stringMatching(ISO_TIME) });
    expect(job.created_at).toMatch(ISO_TIME);
  });
});
