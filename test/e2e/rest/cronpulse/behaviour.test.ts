import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type TockClient } from '../../../../client/src/index.js';
import type { Principal, Scope } from '../../../../server/core/types.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../../../integration/executor/receiver.js';
import { DOCUMENT_TIME, eventually, send, startServer, type CronPulseServer } from './server.js';

/**
 * What CronPulse users rely on beyond the shapes, on a real server with its timer calling a
 * loopback receiver: a job is a Tock schedule (cron, timeout seconds, expected status decides
 * success, headers, body, method), its heartbeat a linked monitor, PUT a merge, deletes take
 * the history along, and what one surface makes the others show.
 */
let server: CronPulseServer;
let base: string;
let key: string;
let receiver: Receiver;
let tock: TockClient;
let principal: Principal;

function answer(req: ReceivedRequest, res: ServerResponse): void {
  if (req.url.startsWith('/slow')) {
    setTimeout(() => res.writeHead(200).end('late'), 3_000).unref();
    return;
  }
  res.writeHead(req.url.startsWith('/created') ? 201 : 200, { 'content-type': 'text/plain' }).end('ok');
}

beforeAll(async () => {
  receiver = await startReceiver(answer);
  server = await startServer({ scheduler: true, allowTargets: ['127.0.0.1'] });
  base = server.base;
  key = server.key;
  tock = createClient({ url: server.origin, apiKey: key });
  principal = await server.tock.core.authenticate(key);
});
afterAll(async () => {
  await server?.close();
  await receiver?.close();
});

const newProject = async (name: string, k = key): Promise<string> => (await send('POST', `${base}/projects`, { key: k, body: { name } })).body.id;

/** A job due every second against the receiver (6-field cron: seconds first). */
const everySecond = (projectId: string, path: string, extra: Record<string, unknown> = {}) => ({
  name: path,
  projectId,
  url: `${receiver.url}${path}`,
  method: 'GET',
  schedule: '* * * * * *',
  ...extra,
});

/** A job that does not come due during the test. */
const yearly = (projectId: string, extra: Record<string, unknown> = {}) => ({
  name: 'yearly',
  projectId,
  url: `${receiver.url}/yearly`,
  method: 'POST',
  schedule: '0 0 1 1 *',
  ...extra,
});

/** A tRPC client of the admin key acting on `projectId`. */
const tockIn = (projectId: string): TockClient => createClient({ url: server.origin, apiKey: key, project: projectId });

const create = async (body: unknown, k = key) => {
  const res = await send('POST', `${base}/jobs`, { key: k, body });
  expect(res.status, res.text).toBe(201);
  return res.body;
};

const settled = (id: string) =>
  eventually(async () => {
    const job = (await send('GET', `${base}/jobs/${id}`, { key })).body;
    return job.lastStatus === null ? undefined : job;
  });

async function keyWith(scopes: Scope[], projectId?: string): Promise<string> {
  return (await server.tock.core.keys.create(principal, { name: scopes.join(','), scopes, projectId })).secret;
}

describe('a job', () => {
  it('succeeds or fails by expectedStatusCode, any 2xx without one, and shows its last activity and next run', async () => {
    const projectId = await newProject('status');
    const ok = await create(everySecond(projectId, '/ok', { expectedStatusCode: 200 }));
    const wrong = await create(everySecond(projectId, '/ok/wrong', { expectedStatusCode: 204 }));
    const any = await create(everySecond(projectId, '/created', { expectedStatusCode: null }));
    const [a, b, c] = await Promise.all([settled(ok.id), settled(wrong.id), settled(any.id)]);
    expect([a.lastStatus, b.lastStatus, c.lastStatus]).toEqual(['success', 'failed', 'success']);
    for (const job of [a, b, c]) {
      expect(job.lastActivityAt).toMatch(DOCUMENT_TIME);
      expect(new Date(job.nextRunAt).getTime()).toBeGreaterThan(new Date(job.lastActivityAt).getTime());
    }
    expect((await tockIn(projectId).schedules.get(wrong.id)).expectedStatus).toEqual([204]);
    await Promise.all([ok, wrong, any].map((j) => send('DELETE', `${base}/jobs/${j.id}`, { key })));
  });

  it('calls its url with its method, headers and body', async () => {
    const projectId = await newProject('call');
    const job = await create(everySecond(projectId, '/call', { method: 'PUT', headers: { 'X-Token': 'secret' }, body: '{"ping":1}' }));
    await receiver.until(() => receiver.requests.some((r) => r.url === '/call'));
    const call = receiver.requests.find((r) => r.url === '/call')!;
    expect(call).toMatchObject({ method: 'PUT', body: '{"ping":1}' });
    expect(call.headers['x-token']).toBe('secret');
    await send('DELETE', `${base}/jobs/${job.id}`, { key });
  });

  it('fails when the call takes longer than its timeout in seconds', async () => {
    const projectId = await newProject('timeout');
    const job = await create(everySecond(projectId, '/slow', { timeout: 1 }));
    expect((await tockIn(projectId).schedules.get(job.id)).timeoutMs).toBe(1000);
    expect((await settled(job.id)).lastStatus).toBe('failed');
    const runs = await tockIn(projectId).schedules.listExecutions(job.id);
    expect(runs.items[0]).toMatchObject({ status: 'timeout' });
    expect(runs.items[0].durationMs).toBeLessThan(2_500);
    await send('DELETE', `${base}/jobs/${job.id}`, { key });
  });

  it('is deleted with its execution history', async () => {
    const projectId = await newProject('history');
    const job = await create(everySecond(projectId, '/history'));
    await settled(job.id);
    const count = async () => Number((await server.database.db.execute<{ n: number }>('select count(*)::int as n from executions where schedule_id = ?', [job.id]))[0].n);
    expect(await count()).toBeGreaterThan(0);
    expect((await send('DELETE', `${base}/jobs/${job.id}`, { key })).status).toBe(200);
    expect(await count()).toBe(0);
    expect(await server.database.db.execute('select id from jobs where schedule_id = ?', [job.id])).toEqual([]);
    expect((await send('GET', `${base}/jobs/${job.id}`, { key })).status).toBe(404);
  });

  it('is updated by PUT as a merge: fields left out stay, null resets an optional one', async () => {
    const projectId = await newProject('merge');
    const job = await create(yearly(projectId, { timeout: 10, expectedStatusCode: 202, headers: { A: 'b' }, body: 'x' }));
    const renamed = (await send('PUT', `${base}/jobs/${job.id}`, { key, body: { name: 'renamed' } })).body;
    expect(renamed).toEqual({ ...job, name: 'renamed' });
    const cleared = await send('PUT', `${base}/jobs/${job.id}`, { key, body: { timeout: null, expectedStatusCode: null, headers: null, body: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ name: 'renamed', timeout: 30, expectedStatusCode: null, headers: {}, body: null, schedule: '0 0 1 1 *' });
    const moved = await send('PUT', `${base}/jobs/${job.id}`, { key, body: { projectId: await newProject('elsewhere') } });
    expect(moved.status).toBe(400);
    expect(moved.body.error).toMatch(/^projectId: a job cannot move to another project/);
  });
});

describe('a heartbeat', () => {
  it('is a monitor on the job’s cron with the tolerance as grace, whose ping URL comes with the job', async () => {
    const projectId = await newProject('beat');
    const job = await create(yearly(projectId, { schedule: '*/15 * * * *', heartbeat: true, heartbeatTolerance: 2 }));
    expect(job).toMatchObject({ heartbeat: true, heartbeatTolerance: 2, heartbeatUrl: expect.stringMatching(/\/ping\/[0-9A-Za-z]{24}$/) });
    const monitors = (await tockIn(projectId).monitors.list()).items;
    expect(monitors).toHaveLength(1);
    expect(monitors[0]).toMatchObject({ scheduleId: job.id, cron: '*/15 * * * *', timezone: 'UTC', graceSeconds: 120, status: 'new', name: 'yearly' });
    expect(monitors[0].pingUrl).toBe(job.heartbeatUrl);

    expect(job.heartbeatUrl.startsWith(`${server.origin}/ping/`)).toBe(true);
    const pinged = await fetch(job.heartbeatUrl);
    expect(pinged.status).toBe(200);
    const after = (await send('GET', `${base}/jobs/${job.id}`, { key })).body;
    expect(after.lastActivityAt).toMatch(DOCUMENT_TIME);
    expect(Date.now() - new Date(after.lastActivityAt).getTime()).toBeLessThan(10_000);
  });

  it('follows a new schedule, takes a new tolerance, and goes when turned off or with its job', async () => {
    const projectId = await newProject('beat-changes');
    const scoped = tockIn(projectId);
    const job = await create(yearly(projectId, { heartbeat: true }));
    expect(job.heartbeatTolerance).toBe(5);
    const [first] = (await scoped.monitors.list()).items;

    const retimed = (await send('PUT', `${base}/jobs/${job.id}`, { key, body: { schedule: '30 4 * * *', heartbeatTolerance: 10 } })).body;
    expect(retimed).toMatchObject({ heartbeat: true, heartbeatTolerance: 10, heartbeatUrl: job.heartbeatUrl });
    expect(await scoped.monitors.get(first.id)).toMatchObject({ cron: '30 4 * * *', graceSeconds: 600 });

    const off = (await send('PUT', `${base}/jobs/${job.id}`, { key, body: { heartbeat: false } })).body;
    expect(off).toMatchObject({ heartbeat: false, heartbeatTolerance: null, heartbeatUrl: null });
    await expect(scoped.monitors.get(first.id)).rejects.toMatchObject({ code: 'not_found' });
    // A tolerance alone has no heartbeat to apply to.
    expect((await send('PUT', `${base}/jobs/${job.id}`, { key, body: { heartbeatTolerance: 3 } })).body).toMatchObject({ heartbeat: false, heartbeatUrl: null });

    const on = (await send('PUT', `${base}/jobs/${job.id}`, { key, body: { heartbeat: true } })).body;
    expect(on).toMatchObject({ heartbeat: true, heartbeatTolerance: 5 });
    expect(on.heartbeatUrl).not.toBe(job.heartbeatUrl);
    expect((await scoped.monitors.list()).items).toHaveLength(1);
    await send('DELETE', `${base}/jobs/${job.id}`, { key });
    expect((await scoped.monitors.list()).items).toEqual([]);
  });
});

describe('a project', () => {
  it('is deleted with its jobs, their history and heartbeats, and the runs it still had pending are cancelled', async () => {
    const projectId = await newProject('doomed');
    const job = await create(everySecond(projectId, '/doomed', { heartbeat: true }));
    await settled(job.id);
    expect((await send('DELETE', `${base}/projects/${projectId}`, { key })).status).toBe(200);
    for (const table of ['schedules', 'jobs', 'executions', 'monitors']) {
      expect(await server.database.db.execute(`select 1 from ${table} where project_id = ?`, [projectId]), table).toEqual([]);
    }
    // Nothing of it is called any more (a call already on its way at the delete may still land):
    // watched until a job of another project, made after the delete, has been called twice.
    const calls = (path: string) => receiver.requests.filter((r) => r.url === path).length;
    const before = calls('/doomed');
    const marker = await create(everySecond(await newProject('marker'), '/marker'));
    await receiver.until(() => calls('/marker') >= 2);
    expect(calls('/doomed') - before).toBeLessThanOrEqual(1);
    await send('DELETE', `${base}/jobs/${marker.id}`, { key });
  });

  it('that is the account’s last one can be deleted; the account then lists none and can make another', async () => {
    const { account } = await server.tock.core.projects.createAccount({ name: 'solo' });
    const { secret } = await server.tock.core.keys.createUnchecked({ accountId: account.id, name: 'solo', scopes: ['*'] });
    const [only] = (await send('GET', `${base}/projects`, { key: secret })).body;
    expect((await send('DELETE', `${base}/projects/${only.id}`, { key: secret })).body).toEqual({ success: true });
    expect((await send('GET', `${base}/projects`, { key: secret })).body).toEqual([]);
    expect((await send('GET', `${base}/jobs`, { key: secret })).body).toEqual([]);
    expect((await send('POST', `${base}/projects`, { key: secret, body: { name: 'again' } })).status).toBe(201);
  });

  it('clears its url with null, and GET /projects/{id} answers one project with its jobs', async () => {
    const p = (await send('POST', `${base}/projects`, { key, body: { name: 'site', url: 'https://example.org/app' } })).body;
    const job = await create(yearly(p.id));
    expect((await send('GET', `${base}/projects/${p.id}`, { key })).body).toEqual({ id: p.id, name: 'site', url: 'https://example.org/app', jobs: [{ id: job.id, name: 'yearly', lastStatus: null }] });
    expect((await send('PUT', `${base}/projects/${p.id}`, { key, body: { url: null } })).body).toMatchObject({ url: null, name: 'site' });
  });
});

describe('GET /jobs', () => {
  it('without projectId lists the jobs of every project the key reaches; a project key sees its own', async () => {
    const { account } = await server.tock.core.projects.createAccount({ name: 'lists' });
    const { secret } = await server.tock.core.keys.createUnchecked({ accountId: account.id, name: 'lists', scopes: ['*'] });
    const first = await newProject('first', secret);
    const second = await newProject('second', secret);
    const a = await create(yearly(first), secret);
    const b = await create(yearly(second), secret);
    expect((await send('GET', `${base}/jobs`, { key: secret })).body.map((j: { id: string }) => j.id)).toEqual([a.id, b.id]);
    expect((await send('GET', `${base}/jobs?projectId=${second}`, { key: secret })).body.map((j: { id: string }) => j.id)).toEqual([b.id]);

    const limited = (await server.tock.core.keys.create(await server.tock.core.authenticate(secret), { name: 'p2', scopes: ['read:jobs'], projectId: second })).secret;
    expect((await send('GET', `${base}/jobs`, { key: limited })).body.map((j: { id: string }) => j.id)).toEqual([b.id]);
    expect((await send('GET', `${base}/jobs?projectId=${first}`, { key: limited })).status).toBe(404);
    expect((await send('GET', `${base}/jobs/${a.id}`, { key: limited })).status).toBe(404);
  });
});

describe('bad input', () => {
  let projectId: string;
  const valid = () => yearly(projectId);
  beforeAll(async () => {
    projectId = await newProject('bad input');
  });

  const change = (fields: Record<string, unknown>) => () => ({ ...valid(), ...fields });
  it.each([
    ['malformed JSON', () => '{"name": "x",', /^Body is not valid JSON/],
    ['a body that is not an object', () => '[1, 2]', /^Body: must be a JSON object$/],
    ['a missing required field', () => ({ ...valid(), projectId: undefined }), /^projectId: is required$/],
    ['a wrong type', change({ name: 5 }), /^name: must be a string$/],
    ['an unknown field', change({ cron: '* * * * *' }), /^Unknown field: cron$/],
    ['an unknown method', change({ method: 'FETCH' }), /^method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD$/],
    ['a cron with the wrong field count', change({ schedule: '* * *' }), /^schedule: Invalid cron expression: '\* \* \*' \(expected 5 fields, or 6 with seconds first; got 3\)$/],
    ['a URL that is not http(s)', change({ url: 'ftp://example.com/x' }), /^url: Invalid URL 'ftp:\/\/example\.com\/x': scheme 'ftp' is not allowed/],
    ['a URL the target policy refuses', change({ url: 'http://10.1.2.3/hook' }), /^url: Invalid URL 'http:\/\/10\.1\.2\.3\/hook': .*private-network address/],
    ['a timeout out of range', change({ timeout: 301 }), /^timeout: must be a number of seconds from 0\.001 to 300/],
    ['a tolerance out of range', change({ heartbeat: true, heartbeatTolerance: 50_000 }), /^heartbeatTolerance: must be a whole number of minutes from 0 to 43200$/],
    ['a status code out of range', change({ expectedStatusCode: 42 }), /^expectedStatusCode: status codes are 100-599$/],
    ['a bad header name', change({ headers: { 'Bad Header': 'x' } }), /^headers\.Bad Header: header names must be HTTP tokens$/],
  ] as Array<[string, () => unknown, RegExp]>)('%s answers 400 naming what to fix, and stores nothing', async (_what, body, message) => {
    const before = (await send('GET', `${base}/jobs?projectId=${projectId}`, { key })).body;
    const res = await send('POST', `${base}/jobs`, { key, body: body() });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.stringMatching(message) });
    expect((await send('GET', `${base}/jobs?projectId=${projectId}`, { key })).body).toEqual(before);
  });

  it('answers a body over the limit with 413, no or a bad key with 401, an unknown id with 404', async () => {
    const big = await send('POST', `${base}/jobs`, { key, body: { ...valid(), body: 'x'.repeat(3 * 1024 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatch(/larger than/);
    expect((await send('GET', `${base}/jobs`, { key: null })).status).toBe(401);
    expect((await send('GET', `${base}/jobs`, { key: 'cpk_nope' })).body).toEqual({ error: expect.stringMatching(/API key/) });
    expect((await send('GET', `${base}/jobs`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    for (const [method, path] of [['GET', '/jobs/nope'], ['PUT', '/jobs/sched_00000000000000000000000000'], ['DELETE', '/jobs/nope'], ['GET', '/projects/nope'], ['DELETE', '/projects/proj_00000000000000000000000000']]) {
      const res = await send(method, `${base}${path}`, { key });
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(res.body.error).toMatch(/^No (job|project) with id/);
    }
  });
});

describe('paths the document does not have', () => {
  it('answer 404 in its error shape', async () => {
    // The last path's segment is longer than the router takes (maxParamLength 800): no route, not an unknown id.
    for (const [method, path] of [['DELETE', '/jobs'], ['PATCH', '/jobs/sched_00000000000000000000000000'], ['GET', '/jobs/a/b'], ['POST', '/projects/x'], ['GET', `/jobs/${'x'.repeat(900)}`]]) {
      const res = await send(method, `${base}${path}`, { key });
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(res.body).toEqual({ error: expect.stringMatching(new RegExp(`^No route for ${method} /api/v1/`)) });
    }
  });
});

describe('tenants', () => {
  it("answer another account's ids with 404 and change nothing", async () => {
    const { account } = await server.tock.core.projects.createAccount({ name: 'intruder' });
    const { secret: intruder } = await server.tock.core.keys.createUnchecked({ accountId: account.id, name: 'intruder', scopes: ['*'] });
    const projectId = await newProject('owned');
    const job = await create(yearly(projectId));

    for (const [method, path, body] of [
      ['GET', `/jobs/${job.id}`],
      ['PUT', `/jobs/${job.id}`, { name: 'taken' }],
      ['DELETE', `/jobs/${job.id}`],
      ['GET', `/jobs?projectId=${projectId}`],
      ['GET', `/projects/${projectId}`],
      ['PUT', `/projects/${projectId}`, { name: 'taken' }],
      ['DELETE', `/projects/${projectId}`],
      ['POST', '/jobs', yearly(projectId)],
    ] as Array<[string, string, unknown?]>) {
      const res = await send(method, `${base}${path}`, { key: intruder, body });
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    expect((await send('GET', `${base}/jobs/${job.id}`, { key })).body).toEqual(job);
    expect((await send('GET', `${base}/jobs?projectId=${projectId}`, { key })).body).toEqual([job]);
    expect((await send('GET', `${base}/projects`, { key: intruder })).body.map((p: { name: string }) => p.name)).toEqual(['Default']);
  });
});

describe('permissions', () => {
  it('are Tock’s scopes: a read-only key gets 403 on every write, write:jobs alone cannot write projects', async () => {
    const projectId = await newProject('scoped');
    const job = await create(yearly(projectId));
    const readOnly = await keyWith(['read:projects', 'read:jobs']);
    for (const [method, path, body] of [
      ['POST', '/projects', { name: 'x' }],
      ['PUT', `/projects/${projectId}`, { name: 'x' }],
      ['DELETE', `/projects/${projectId}`],
      ['POST', '/jobs', yearly(projectId)],
      ['PUT', `/jobs/${job.id}`, { name: 'x' }],
      ['DELETE', `/jobs/${job.id}`],
    ] as Array<[string, string, unknown?]>) {
      const res = await send(method, `${base}${path}`, { key: readOnly, body });
      expect([method, path, res.status]).toEqual([method, path, 403]);
      expect(res.body.error).toMatch(/^This key lacks the 'write:(projects|jobs)' scope$/);
    }
    expect((await send('GET', `${base}/jobs/${job.id}`, { key: readOnly })).body).toEqual(job);

    const jobsOnly = await keyWith(['write:jobs']);
    expect((await send('PUT', `${base}/projects/${projectId}`, { key: jobsOnly, body: { name: 'x' } })).status).toBe(403);
    const made = await send('POST', `${base}/jobs`, { key: jobsOnly, body: yearly(projectId, { heartbeat: true }) });
    expect(made.status).toBe(201);
    expect(made.body.heartbeatUrl).toMatch(/\/ping\//);
  });

  it('decide what a project list shows: without read:jobs the jobs are left out; GET /jobs needs read:jobs', async () => {
    const projectsOnly = await keyWith(['read:projects']);
    const list = (await send('GET', `${base}/projects`, { key: projectsOnly })).body;
    expect(list.length).toBeGreaterThan(1);
    for (const p of list) expect(Object.keys(p)).toEqual(['id', 'name', 'url']);
    expect((await send('GET', `${base}/jobs`, { key: projectsOnly })).status).toBe(403);
  });
});

describe('other surfaces', () => {
  it('see a job and project made here with the same stored values', async () => {
    const p = (await send('POST', `${base}/projects`, { key, body: { name: 'shared', url: 'https://example.com/site' } })).body;
    const job = await create(yearly(p.id, { timeout: 12, expectedStatusCode: 201, headers: { 'X-A': '1' }, body: 'hello', heartbeat: true, heartbeatTolerance: 3 }));
    expect(await tock.projects.get(p.id)).toMatchObject({ id: p.id, name: 'shared', url: 'https://example.com/site' });
    expect(await tockIn(p.id).schedules.get(job.id)).toMatchObject({
      projectId: p.id,
      name: 'yearly',
      url: `${receiver.url}/yearly`,
      method: 'POST',
      cron: '0 0 1 1 *',
      timezone: 'UTC',
      timeoutMs: 12_000,
      expectedStatus: [201],
      headers: { 'X-A': '1' },
      body: 'hello',
    });
    const [beat] = (await tockIn(p.id).monitors.list()).items;
    expect(beat).toMatchObject({ scheduleId: job.id, graceSeconds: 180, pingUrl: job.heartbeatUrl });
  });

  it('make schedules and projects this dialect shows in its own terms', async () => {
    const p = await tock.projects.create({ name: 'from tRPC', url: 'https://example.com/trpc' });
    const s = await tockIn(p.id).schedules.create({
      name: 'made elsewhere',
      url: `${receiver.url}/elsewhere`,
      method: 'DELETE',
      cron: '15 2 * * 1',
      timeoutMs: 4_500,
      expectedStatus: [200, 204],
    });
    expect((await send('GET', `${base}/jobs/${s.id}`, { key })).body).toEqual({
      id: s.id,
      name: 'made elsewhere',
      projectId: p.id,
      url: `${receiver.url}/elsewhere`,
      method: 'DELETE',
      schedule: '15 2 * * 1',
      heartbeat: false,
      heartbeatTolerance: null,
      timeout: 4.5,
      expectedStatusCode: 200,
      headers: {},
      body: null,
      lastStatus: null,
      lastActivityAt: null,
      nextRunAt: expect.stringMatching(DOCUMENT_TIME),
      heartbeatUrl: null,
    });
    expect((await send('GET', `${base}/projects/${p.id}`, { key })).body).toEqual({
      id: p.id,
      name: 'from tRPC',
      url: 'https://example.com/trpc',
      jobs: [{ id: s.id, name: 'made elsewhere', lastStatus: null }],
    });
  });
});

describe('the OpenAPI description', () => {
  it('has every CronPulse path, with the job’s required fields from the same schemas the routes check', async () => {
    const doc = (await send('GET', `${server.origin}/openapi.json`)).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/projects', '/api/v1/projects/{id}', '/api/v1/jobs', '/api/v1/jobs/{id}']));
    expect(Object.keys(doc.paths['/api/v1/jobs/{id}']).sort()).toEqual(['delete', 'get', 'put']);
    const create = doc.paths['/api/v1/jobs'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(['name', 'projectId', 'url', 'method', 'schedule']);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.timeout.description).toMatch(/^Seconds/);
  });
});
