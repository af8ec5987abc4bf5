import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WakeKind } from '../../../server/core/wake.js';
import { Job } from '../../../client/src/gen/tock/v1/job.js';
import type { TestTenant } from '../../helpers/core.js';
import { bearer, failure, startHarness, type Clients, type Harness } from './harness.js';

let h: Harness;
let a: TestTenant;
let api: Clients;
const wakes: Array<{ kind: WakeKind; shard: number; dueAt: Date }> = [];

beforeAll(async () => {
  h = await startHarness({ waker: { wake: (kind, shard, dueAt) => void wakes.push({ kind, shard, dueAt }) } });
  a = await h.t.tenant('a');
  api = h.clients(bearer(a.secret));
});
afterAll(() => h.close());
beforeEach(() => {
  wakes.length = 0;
});

const inOneHour = (plusMs = 0) => new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000 + plusMs);
const job = (fields: Partial<Job> = {}) => Job.fromPartial({ url: 'https://example.com/batch', ...fields });
const createJobs = (jobs: Job[]) => api.jobs.createJobs({ jobs });

/** The transactions that wrote `ids`: rows one INSERT statement wrote share one. */
async function writers(ids: string[]): Promise<number> {
  const [row] = await h.t.database.db.query<{ n: number }>('select count(distinct xmin::text)::int as n from jobs where id = any($1::text[])', [ids]);
  return Number(row.n);
}

describe('gRPC JobService.CreateJobs', () => {
  it('creates every job of the call in one statement, in order, each readable with GetJob', async () => {
    const at = inOneHour();
    const { results } = await createJobs([job({ name: 'first', scheduledAt: at }), job({ name: 'second', method: 'PUT', body: '{}' }), job({ name: 'third' })]);
    expect(results.map((r) => [r.index, r.created, r.job?.name, r.error])).toEqual([
      [0, true, 'first', undefined],
      [1, true, 'second', undefined],
      [2, true, 'third', undefined],
    ]);
    expect(results[0].job).toMatchObject({ status: 'scheduled', scheduledAt: at, source: 'api', url: 'https://example.com/batch' });
    expect(results[1].job).toMatchObject({ method: 'PUT', body: '{}' });
    for (const r of results) expect(await api.jobs.getJob({ id: r.job!.id })).toEqual(r.job);
    expect(await writers(results.map((r) => r.job!.id))).toBe(1);
  });

  it('takes 1,000 jobs in one statement and wakes the timer once, for the earliest of them', async () => {
    const base = inOneHour();
    const jobs = Array.from({ length: 1000 }, (_, i) => job({ headers: { 'x-n': String(i) }, scheduledAt: new Date(base.getTime() + (i === 700 ? -60_000 : i * 1000)) }));
    const { results } = await createJobs(jobs);
    expect(results).toHaveLength(1000);
    expect(results.every((r, i) => r.index === i && r.created && r.job?.headers['x-n'] === String(i))).toBe(true);
    const ids = results.map((r) => r.job!.id);
    expect(new Set(ids).size).toBe(1000);
    expect(await writers(ids)).toBe(1);
    const jobWakes = wakes.filter((w) => w.kind === 'job');
    expect(jobWakes).toHaveLength(1);
    expect(jobWakes[0].dueAt).toEqual(new Date(base.getTime() - 60_000));
    const shards = await h.t.database.db.query<{ shard: number }>('select distinct shard from jobs where id = any($1::text[])', [ids]);
    expect(shards.map((s) => s.shard)).toEqual([jobWakes[0].shard]);
  });

  it('reports a bad job by index, with the status, code and field CreateJob would answer, and creates the rest', async () => {
    const { results } = await createJobs([job({ name: 'ok-1' }), job({ url: 'ftp://example.com/x' }), job({ url: '' }), job({ name: 'ok-2', retryBackoffMs: 5000, retryBackoffMaxMs: 10 })]);
    expect(results[0]).toMatchObject({ index: 0, created: true, job: { name: 'ok-1' } });
    expect(results[1]).toMatchObject({ index: 1, created: false, job: undefined, error: { status: status.INVALID_ARGUMENT, code: 'invalid_url', field: 'url' } });
    expect(results[1].error!.message).toMatch(/http/);
    expect(results[2]).toMatchObject({ index: 2, error: { status: status.INVALID_ARGUMENT, field: 'url' } });
    expect(results[3]).toMatchObject({ index: 3, error: { status: status.INVALID_ARGUMENT, field: 'retry_backoff_max_ms' } });
    const single = await failure(api.jobs.createJob({ job: job({ url: 'ftp://example.com/x' }) }));
    expect([single.code, single.tockCode, single.tockField, single.details]).toEqual([status.INVALID_ARGUMENT, 'invalid_url', 'url', results[1].error!.message]);
    expect((await api.jobs.getJob({ id: results[0].job!.id })).name).toBe('ok-1');
  });

  it('honours idempotency keys per job: an earlier key returns its job, a reused key for another call is a conflict', async () => {
    const earlier = await api.jobs.createJob({ job: job({ idempotencyKey: 'batch-earlier' }) });
    const { results } = await createJobs([
      job({ idempotencyKey: 'batch-earlier' }),
      job({ idempotencyKey: 'batch-earlier', url: 'https://example.com/other' }),
      job({ idempotencyKey: 'batch-new' }),
    ]);
    expect(results[0]).toMatchObject({ created: false, job: { id: earlier.id } });
    expect(results[1]).toMatchObject({ created: false, job: undefined, error: { status: status.FAILED_PRECONDITION, code: 'idempotency_conflict' } });
    expect(results[1].error!.message).toContain(earlier.id);
    expect(results[2]).toMatchObject({ created: true, job: { idempotencyKey: 'batch-new' } });

    const again = await createJobs([job({ idempotencyKey: 'batch-new' })]);
    expect(again.results[0]).toMatchObject({ created: false, job: { id: results[2].job!.id } });
  });

  it('treats a key given twice in one call as the same key given again', async () => {
    const { results } = await createJobs([
      job({ idempotencyKey: 'twice' }),
      job({ idempotencyKey: 'twice' }),
      job({ idempotencyKey: 'twice', method: 'GET' }),
    ]);
    expect(results[0]).toMatchObject({ created: true });
    expect(results[1]).toMatchObject({ created: false, job: { id: results[0].job!.id } });
    expect(results[2]).toMatchObject({ error: { code: 'idempotency_conflict' } });
    const [row] = await h.t.database.db.execute<{ n: number }>("select count(*)::int as n from jobs where idempotency_key = 'twice'");
    expect(Number(row.n)).toBe(1);
  });

  it('refuses a call with no jobs or more than 1,000, naming the jobs field', async () => {
    const none = await failure(createJobs([]));
    expect([none.code, none.tockField]).toEqual([status.INVALID_ARGUMENT, 'jobs']);
    const many = await failure(createJobs(Array.from({ length: 1001 }, () => job())));
    expect([many.code, many.tockField]).toEqual([status.INVALID_ARGUMENT, 'jobs']);
    expect(many.details).toMatch(/1000/);
  });

  it('needs the write:jobs scope for the whole call', async () => {
    const { secret } = await h.t.core.keys.createUnchecked({ accountId: a.principal.accountId, scopes: ['read:jobs'] });
    const readOnly = h.clients(bearer(secret));
    const err = await failure(readOnly.jobs.createJobs({ jobs: [job()] }));
    expect(err.code).toBe(status.PERMISSION_DENIED);
  });
});
