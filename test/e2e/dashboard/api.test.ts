import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, ApiError } from '../../../dashboard/src/api.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { startTrpcServer, type TrpcServer } from '../trpc/harness.js';

/** The dashboard's tRPC calls (dashboard/src/api.ts) against the real tRPC surface. */
let t: TestCore;
let server: TrpcServer;
let tenant: TestTenant;
const ids: string[] = [];

beforeAll(async () => {
  t = await createTestCore();
  server = await startTrpcServer(t);
  tenant = await t.tenant('many');
  for (let i = 0; i < 70; i++) ids.push((await t.core.schedules.create(tenant.actor, { name: `s${i}`, url: 'https://example.com/hook', cron: '0 3 * * *' })).id);
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

describe('the dashboard API client', () => {
  it('reads one page per schedule for 70 schedules, split into batches the server accepts', async () => {
    const api = new Api(tenant.secret, server.url);
    const results = await api.queries<{ items: unknown[] }>(ids.map((id) => ({ path: 'schedules.listExecutions', input: { id, pageSize: 8 } })));
    expect(results).toHaveLength(70);
    expect(results.every((r) => r.status === 'fulfilled' && Array.isArray(r.value.items))).toBe(true);
  });

  it('settles each call of a batch on its own and carries the server\'s status and code', async () => {
    const api = new Api(tenant.secret, server.url);
    const [ok, missing] = await api.queries([
      { path: 'schedules.get', input: { id: ids[0] } },
      { path: 'schedules.get', input: { id: 'sch_doesnotexist' } },
    ]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: { id: ids[0] } });
    expect(missing.status).toBe('rejected');
    const err = (missing as PromiseRejectedResult).reason as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(404);
  });

  it('refuses a bad key with 401 for single calls and for every call of a batch', async () => {
    const api = new Api('tock_wrong', server.url);
    await expect(api.query('schedules.list')).rejects.toMatchObject({ status: 401 });
    const batch = await api.queries([{ path: 'schedules.list' }, { path: 'monitors.list' }]);
    expect(batch.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(batch.map((r) => ((r as PromiseRejectedResult).reason as ApiError).status)).toEqual([401, 401]);
  });

  it('sends mutations as POSTs with the key', async () => {
    const api = new Api(tenant.secret, server.url);
    const paused = await api.mutate<{ state: string }>('schedules.pause', { id: ids[1] });
    expect(paused.state).toBe('paused');
    expect((await t.core.schedules.get(tenant.actor, ids[1])).state).toBe('paused');
  });
});
