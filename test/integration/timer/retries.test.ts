import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../../server/core/index.js';
import { LOOPBACK_TARGETS } from '../../helpers/core.js';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

let w: TimerWorld;
let r: Receiver;

beforeAll(async () => {
  w = await timerWorld();
  r = await new Receiver().listen();
  await w.node({}, 'retries');
});
afterAll(async () => {
  await w?.close();
  await r?.close();
});

interface ExecRow {
  attempt: number;
  status: string;
  status_code: number | null;
  error: string | null;
  started_ms: number;
}

async function executions(jobId: string): Promise<ExecRow[]> {
  return w.db.execute<ExecRow>(
    `select attempt, status, status_code, error, floor(extract(epoch from started_at) * 1000)::float8 as started_ms
       from executions where job_id = ? order by attempt, id`,
    [jobId],
  );
}

async function job(jobId: string) {
  const [row] = await w.db.execute<{ status: string; attempts: number; last_status_code: number | null; finished: boolean; next_attempt_at: string | null }>(
    `select status, attempts, last_status_code, finished_at is not null as finished, next_attempt_at from jobs where id = ?`,
    [jobId],
  );
  return row;
}

async function terminal(jobId: string, timeoutMs = 10_000): Promise<void> {
  await until(async () => ['succeeded', 'failed', 'cancelled'].includes((await job(jobId)).status), { timeoutMs });
}

describe('retries', () => {
  it('retries a failing call with backoff until it succeeds, with one webhook-id for every attempt', async () => {
    let n = 0;
    r.respond((req, res) => {
      if (req.url !== '/flaky') return void res.writeHead(200).end();
      n++;
      res.writeHead(n < 3 ? 500 : 200).end(n < 3 ? 'not yet' : 'done');
    });
    const created = await w.t.core.jobs.create(w.tenant.actor, {
      url: `${r.url}/flaky`,
      maxRetries: 5,
      retryBackoffMs: 100,
      retryBackoffMaxMs: 300,
    });
    await terminal(created.id);

    expect(await job(created.id)).toMatchObject({ status: 'succeeded', attempts: 3, last_status_code: 200, finished: true, next_attempt_at: null });
    const ex = await executions(created.id);
    expect(ex.map((e) => [e.attempt, e.status, e.status_code])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'succeeded', 200],
    ]);
    // Full jitter: each wait is within [0, min(cap, base * 2^(n-1))] plus firing slack.
    expect(ex[1].started_ms - ex[0].started_ms).toBeLessThan(100 + 500);
    expect(ex[2].started_ms - ex[1].started_ms).toBeLessThan(200 + 500);
    const calls = r.to('/flaky');
    expect(new Set(calls.map((c) => c.headers['webhook-id']))).toEqual(new Set([created.id]));
    expect(calls.map((c) => c.headers['x-tock-attempt'])).toEqual(['1', '2', '3']);
  });

  it('gives up after max_retries: a 500 with max_retries=2 makes 3 executions and the job failed', async () => {
    r.respond((_req, res) => res.writeHead(500).end('boom'));
    const created = await w.t.core.jobs.create(w.tenant.actor, {
      url: `${r.url}/always-500`,
      maxRetries: 2,
      retryBackoffMs: 50,
      retryBackoffMaxMs: 100,
    });
    await terminal(created.id);
    expect(await job(created.id)).toMatchObject({ status: 'failed', attempts: 3, last_status_code: 500, finished: true, next_attempt_at: null });
    const ex = await executions(created.id);
    expect(ex.map((e) => [e.attempt, e.status, e.status_code, e.error])).toEqual([
      [1, 'failed', 500, 'unexpected HTTP status 500 (expected 2xx)'],
      [2, 'failed', 500, 'unexpected HTTP status 500 (expected 2xx)'],
      [3, 'failed', 500, 'unexpected HTTP status 500 (expected 2xx)'],
    ]);
    expect(r.to('/always-500')).toHaveLength(3);
  });

  it('waits at least the Retry-After the target asked for (up to the cap)', async () => {
    let n = 0;
    r.respond((req, res) => {
      if (req.url !== '/busy') return void res.writeHead(200).end();
      n++;
      if (n === 1) res.writeHead(503, { 'retry-after': '1' }).end();
      else res.writeHead(204).end();
    });
    const created = await w.t.core.jobs.create(w.tenant.actor, {
      url: `${r.url}/busy`,
      maxRetries: 1,
      retryBackoffMs: 10,
      retryBackoffMaxMs: 5_000,
    });
    await terminal(created.id);
    const calls = r.to('/busy');
    expect(calls).toHaveLength(2);
    expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(990);
    expect((await job(created.id)).status).toBe('succeeded');
  });

  it('does not retry a target the policy refuses: one refused execution, job failed', async () => {
    // Stored while the allow list still had 10.0.0.0/8 (the core refuses it now); the executor's policy does not have it.
    const before = createCore({
      db: w.db,
      publicUrl: 'http://tock.test',
      allowTargets: [...LOOPBACK_TARGETS, '10.0.0.0/8'],
      waker: { wake: (k, s, d) => w.wakers.forEach((x) => x.wake(k, s, d)) },
    });
    const created = await before.jobs.create(w.tenant.actor, { url: 'http://10.255.255.1/internal', maxRetries: 3, retryBackoffMs: 10, retryBackoffMaxMs: 10 });
    await terminal(created.id);
    expect(await job(created.id)).toMatchObject({ status: 'failed', attempts: 1, finished: true });
    const ex = await executions(created.id);
    expect(ex).toHaveLength(1);
    expect(ex[0].status).toBe('refused');
  });

  it('records a timeout as such and retries it', async () => {
    let n = 0;
    r.respond((req, res) => {
      if (req.url !== '/slow') return void res.writeHead(200).end();
      n++;
      if (n === 1) setTimeout(() => res.writeHead(200).end(), 1_000);
      else res.writeHead(200).end();
    });
    const created = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/slow`, timeoutMs: 200, maxRetries: 1, retryBackoffMs: 10, retryBackoffMaxMs: 10 });
    await terminal(created.id);
    const ex = await executions(created.id);
    expect(ex.map((e) => e.status)).toEqual(['timeout', 'succeeded']);
    expect((await job(created.id)).status).toBe('succeeded');
  });
});
