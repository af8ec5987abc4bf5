import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../../helpers/core.js';
import { until } from '../../../integration/timer/harness.js';
import { call, startPrikke, type PrikkeServer } from './harness.js';

/**
 * Prikke jobs fired by a running scheduler node, on a database of this file's own where every
 * job calls the loopback receiver (no test reaches outside the machine).
 */

let s: PrikkeServer;
let a: TestTenant;

beforeAll(async () => {
  s = await startPrikke();
  a = await s.tenant('timer');
  await s.world.node();
  s.receiver.respond((req, res) => res.writeHead(req.url.startsWith('/fail') ? 500 : 200).end('ok'));
});
afterAll(() => s?.close());

const api = {
  get: (path: string) => call(s.url, 'GET', path, { key: a.secret }),
  post: (path: string, json: unknown) => call(s.url, 'POST', path, { key: a.secret, json }),
  patch: (path: string, json: unknown) => call(s.url, 'PATCH', path, { key: a.secret, json }),
};
const core = () => s.world.t.core;

describe('with the scheduler running', () => {
  it('runs a one-time job at once when run_at is now or a moment ago, with its method, headers and body', async () => {
    for (const [path, ago] of [['/now', 0], ['/ago', 3_000]] as const) {
      const res = await api.post('/jobs', { url: `${s.receiver.url}${path}`, method: 'PUT', headers: { 'X-Run': path }, body: 'hi', run_at: new Date(Date.now() - ago).toISOString() });
      expect(res.status).toBe(200);
      const sent = Date.now();
      await until(() => s.receiver.to(path).length > 0, { timeoutMs: 5_000, message: `nothing reached ${path}` });
      const [got] = s.receiver.to(path);
      expect(got).toMatchObject({ method: 'PUT', body: 'hi' });
      expect(got.headers['x-run']).toBe(path);
      expect(got.at - sent).toBeLessThan(2_000);
      await until(async () => (await api.get(`/jobs/${res.body.job.id}`)).body.job.status === 'success');
      const executions = await api.get(`/jobs/${res.body.job.id}/executions`);
      expect(executions.body.executions).toEqual([expect.objectContaining({ status: 'success', status_code: 200, attempt: 1, error: null })]);
    }
  });

  it("lists a recurring job's executions newest first with Prikke's statuses, and pages them", async () => {
    const job = (await api.post('/jobs', { key: 'exec', url: `${s.receiver.url}/fail`, cron: '0 0 1 1 *' })).body.job;
    await core().schedules.trigger(a.actor, job.id);
    await until(async () => (await api.get(`/jobs/${job.id}/executions`)).body.executions.length === 1);
    s.receiver.respond((_req, res) => res.writeHead(200).end('ok'));
    await api.patch(`/jobs/${job.id}`, { url: `${s.receiver.url}/ok` });
    await core().schedules.trigger(a.actor, job.id);
    await until(async () => (await api.get(`/jobs/${job.id}/executions`)).body.executions.length === 2);
    const res = await api.get(`/jobs/${job.id}/executions`);
    expect(res.body.executions.map((e: { status: string; status_code: number }) => [e.status, e.status_code])).toEqual([
      ['success', 200],
      ['failed', 500],
    ]);
    expect(res.body.next_cursor).toBeNull();
    const firstPage = await api.get(`/jobs/${job.id}/executions?limit=1`);
    expect(firstPage.body.executions).toHaveLength(1);
    const secondPage = await api.get(`/jobs/${job.id}/executions?limit=1&cursor=${firstPage.body.next_cursor}`);
    expect(secondPage.body.executions[0].status).toBe('failed');
  });
});
