import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrafterWorld, TIME, until, UUID, type KrafterWorld } from './harness.js';

/**
 * Every example of the Krafter quickstart, replayed against a real Tock: the requests as the
 * document writes them (its base URL and key swapped for this server's, its job id for the id
 * the create answered), each answer checked field by field against the documented one, ids and
 * times by shape. The document's endpoint (https://example.com/api/health) is not called from
 * a test machine: the runs go to a second job, the same request with a loopback URL.
 */
const DOC_KEY = 'kr_live_abc123def456';
const DOC_JOB_ID = 'a1b2c3d4-5e6f-7a8b-9c0d-1e2f3a4b5c6d';

/** The documented requests: curl's -X, -H and -d, unchanged. */
const STEP_1 = {
  method: 'POST',
  path: '/api/v1/cron/jobs',
  headers: { Authorization: `Bearer ${DOC_KEY}`, 'Content-Type': 'application/json' },
  body: `{
    "name": "Health Check",
    "schedule_type": "interval",
    "schedule": "every_5m",
    "url": "https://example.com/api/health",
    "method": "GET"
  }`,
};
const STEP_2 = { method: 'GET', path: `/api/v1/cron/jobs/${DOC_JOB_ID}/executions`, headers: { Authorization: `Bearer ${DOC_KEY}` } };
const STEP_3 = { method: 'POST', path: `/api/v1/cron/jobs/${DOC_JOB_ID}/trigger`, headers: { Authorization: `Bearer ${DOC_KEY}` } };
const STEP_4_PAUSE = { method: 'POST', path: `/api/v1/cron/jobs/${DOC_JOB_ID}/pause`, headers: { Authorization: `Bearer ${DOC_KEY}` } };
const STEP_4_RESUME = { method: 'POST', path: `/api/v1/cron/jobs/${DOC_JOB_ID}/resume`, headers: { Authorization: `Bearer ${DOC_KEY}` } };

/** The documented answers, unchanged. */
const ANSWER_1 = {
  data: {
    id: 'a1b2c3d4-5e6f-7a8b-9c0d-1e2f3a4b5c6d',
    name: 'Health Check',
    schedule_type: 'interval',
    schedule: 'every_5m',
    timezone: 'UTC',
    url: 'https://example.com/api/health',
    method: 'GET',
    headers: {},
    timeout_ms: 30000,
    max_retries: 3,
    enabled: true,
    failure_notify: false,
    last_status: null,
    last_run_at: null,
    next_run_at: '2025-01-15T10:05:00Z',
    created_at: '2025-01-15T10:00:00Z',
    updated_at: '2025-01-15T10:00:00Z',
  },
};
const ANSWER_2 = {
  data: [
    {
      id: 'e1f2a3b4-c5d6-e7f8-a9b0-c1d2e3f4a5b6',
      status: 'success',
      http_status: 200,
      response_body: '{"status":"ok"}',
      error: null,
      attempt: 1,
      duration_ms: 142,
      started_at: '2025-01-15T10:05:00Z',
      finished_at: '2025-01-15T10:05:00Z',
    },
  ],
};
const ANSWER_3 = { ok: true };
const ANSWER_4_PAUSE = { data: { id: 'a1b2c3d4-5e6f-7a8b-9c0d-1e2f3a4b5c6d', name: 'Health Check', enabled: false } };
const ANSWER_4_RESUME = { data: { id: 'a1b2c3d4-5e6f-7a8b-9c0d-1e2f3a4b5c6d', name: 'Health Check', enabled: true } };

/** The documented answer with its ids, times and durations as shapes; every other value as written. */
function byShape(example: unknown, key = ''): unknown {
  if (Array.isArray(example)) return example.map((v) => byShape(v));
  if (example && typeof example === 'object') return Object.fromEntries(Object.entries(example).map(([k, v]) => [k, byShape(v, k)]));
  if (key === 'id') return expect.stringMatching(UUID);
  if (key.endsWith('_at') && example !== null) return expect.stringMatching(TIME);
  if (key === 'duration_ms') return expect.any(Number);
  return example;
}

let w: KrafterWorld;
type Step = { method: string; path: string; headers: Record<string, string>; body?: string };

/** Sends a documented request with this server's base URL and key, and `jobId` for the document's. */
async function replay(step: Step, jobId?: string, body = step.body) {
  const headers = Object.fromEntries(Object.entries(step.headers).map(([k, v]) => [k, v.replace(DOC_KEY, w.key)]));
  const path = jobId ? step.path.replace(DOC_JOB_ID, jobId) : step.path;
  const res = await fetch(`${w.url}${path}`, { method: step.method, headers, body });
  return { status: res.status, json: (await res.json()) as any };
}

beforeAll(async () => {
  w = await startKrafterWorld();
});
afterAll(async () => {
  await w?.close();
});

describe('the Krafter quickstart, replayed', () => {
  let healthCheck = '';
  let loopbackJob = '';

  it('step 1: creates the interval job and answers it with every documented default', async () => {
    const res = await replay(STEP_1);
    expect(res.status).toBe(201);
    expect(res.json).toEqual(byShape(ANSWER_1));
    const d = res.json.data;
    // Every 5 minutes from its creation, as the document's times show.
    expect(Date.parse(d.next_run_at) - Date.parse(d.created_at)).toBeGreaterThanOrEqual(299_000);
    expect(Date.parse(d.next_run_at) - Date.parse(d.created_at)).toBeLessThanOrEqual(301_000);
    expect(d.updated_at).toBe(d.created_at);
    healthCheck = d.id;

    const loopback = await replay(STEP_1, undefined, STEP_1.body.replace('https://example.com/api/health', `${w.receiver.url}/api/health`));
    expect(loopback.status).toBe(201);
    loopbackJob = loopback.json.data.id;
  });

  it('step 3: triggers a run at once and answers {ok: true}', async () => {
    const res = await replay(STEP_3, loopbackJob);
    expect(res.status).toBe(200);
    expect(res.json).toEqual(ANSWER_3);
    await until(() => w.receiver.to('/api/health').length === 1, { timeoutMs: 15_000, message: 'the triggered run did not reach the receiver' });
  });

  it('step 2: lists the execution of that run as documented', async () => {
    let res = await replay(STEP_2, loopbackJob);
    await until(
      async () => {
        res = await replay(STEP_2, loopbackJob);
        return res.json.data.length > 0;
      },
      { timeoutMs: 15_000, message: 'no execution recorded' },
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual(byShape(ANSWER_2));
    const e = res.json.data[0];
    expect(e.duration_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(e.finished_at)).toBeGreaterThanOrEqual(Date.parse(e.started_at));
    expect(e.id).not.toBe(loopbackJob);
  });

  it('step 4: pauses and resumes the job, answering its id, name and state', async () => {
    const paused = await replay(STEP_4_PAUSE, healthCheck);
    expect(paused.status).toBe(200);
    expect(paused.json).toEqual(byShape(ANSWER_4_PAUSE));
    expect(paused.json.data.id).toBe(healthCheck);

    const resumed = await replay(STEP_4_RESUME, healthCheck);
    expect(resumed.status).toBe(200);
    expect(resumed.json).toEqual(byShape(ANSWER_4_RESUME));
    expect(resumed.json.data.id).toBe(healthCheck);
  });
});
