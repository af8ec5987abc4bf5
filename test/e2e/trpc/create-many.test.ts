import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, PermissionError, ValidationError, type TockClient } from '../../../client/src/index.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { startTrpcServer, type TrpcServer } from './harness.js';

let t: TestCore;
let a: TestTenant;
let srv: TrpcServer;
let tock: TockClient;

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant('a');
  srv = await startTrpcServer(t);
  tock = srv.client(a.secret);
});
afterAll(async () => {
  await srv?.close();
  await t?.close();
});

const hook = 'https://example.com/batch';

describe('jobs.createMany over tRPC and @tock/client', () => {
  it('creates every job in one statement and returns them in order, with Dates', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const results = await tock.jobs.createMany([{ url: hook, scheduledAt: at, name: 'one' }, { url: hook, method: 'get', name: 'two' }]);
    expect(results.map((r) => [r.index, r.created, r.error, r.job?.name])).toEqual([
      [0, true, null, 'one'],
      [1, true, null, 'two'],
    ]);
    expect(results[0].job!.scheduledAt).toEqual(at);
    expect(results[1].job!.method).toBe('GET');
    for (const r of results) expect(await tock.jobs.get(r.job!.id)).toEqual(r.job);
    const [row] = await t.database.db.query<{ n: number }>('select count(distinct xmin::text)::int as n from jobs where id = any($1::text[])', [
      results.map((r) => r.job!.id),
    ]);
    expect(Number(row.n)).toBe(1);
  });

  it('gives a failing job its own typed error, as create would throw it, and creates the others', async () => {
    await tock.jobs.create({ url: hook, idempotencyKey: 'trpc-earlier' });
    const results = await tock.jobs.createMany([
      { url: 'not a url' },
      { url: hook, idempotencyKey: 'trpc-earlier', method: 'DELETE' },
      { url: hook, idempotencyKey: 'trpc-earlier' },
      { url: hook, timeoutMs: -1 },
      { url: hook, name: 'fine' },
    ]);
    expect(results[0].error).toBeInstanceOf(ValidationError);
    expect(results[0].error).toMatchObject({ field: 'url', status: 400 });
    expect(results[1].error).toBeInstanceOf(ConflictError);
    expect(results[1].error!.code).toBe('idempotency_conflict');
    expect(results[2]).toMatchObject({ created: false, error: null, job: { idempotencyKey: 'trpc-earlier' } });
    expect(results[3].error).toMatchObject({ field: 'timeout_ms' });
    expect(results[4]).toMatchObject({ created: true, job: { name: 'fine' } });
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses no jobs and more than 1,000 as a whole, naming jobs', async () => {
    await expect(tock.jobs.createMany([])).rejects.toMatchObject({ field: 'jobs', status: 400 });
    await expect(tock.jobs.createMany(Array.from({ length: 1001 }, () => ({ url: hook })))).rejects.toBeInstanceOf(ValidationError);
  });

  it('refuses a body whose jobs is not a list, naming the input', async () => {
    const res = await fetch(`${srv.url}/trpc/jobs.createMany`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jobs: 'many' }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('jobs');
  });

  it('needs the write:jobs scope', async () => {
    const { secret } = await t.core.keys.createUnchecked({ accountId: a.principal.accountId, scopes: ['read:jobs'] });
    await expect(srv.client(secret).jobs.createMany([{ url: hook }])).rejects.toBeInstanceOf(PermissionError);
  });
});
