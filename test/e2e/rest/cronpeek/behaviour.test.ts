import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../helpers/db.js';
import { createTestCore, type TestCore, type TestTenant } from '../../../helpers/core.js';
import { API_KEY, call, ISO, pingAt, PUBLIC_URL, startCronpeekServer, type Answer, type CronpeekServer } from './harness.js';

/**
 * What the CronPeek dialect does beyond its examples: account creation (closed by default, 409
 * for a known email, limited per address), monitor defaults and bad input, updates, tenants and
 * scopes, the monitor limit, pings (metadata, unknown tokens, limits) and health.
 */
let t: TestCore;
let server: CronpeekServer;
let closed: CronpeekServer;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  t = await createTestCore({ publicUrl: PUBLIC_URL });
  server = await startCronpeekServer(t, { openSignup: true });
  closed = await startCronpeekServer(t);
  a = await t.tenant('a');
  b = await t.tenant('b');
});
afterAll(async () => {
  await server?.close();
  await closed?.close();
  await t?.close();
});

const json = { 'content-type': 'application/json' };

function api(path: string, opts: { method?: string; key?: string | null; body?: unknown; raw?: string; on?: CronpeekServer } = {}): Promise<Answer> {
  const headers: Record<string, string> = opts.key === null ? {} : { 'x-api-key': opts.key ?? a.secret };
  const hasBody = opts.body !== undefined || opts.raw !== undefined;
  return call(`${(opts.on ?? server).url}${path}`, {
    method: opts.method ?? (hasBody ? 'POST' : 'GET'),
    headers: hasBody ? { ...headers, ...json } : headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
}

const create = async (body: Record<string, unknown>, key = a.secret) => {
  const res = await api('/api/v1/monitors', { body, key });
  expect(res.status).toBe(201);
  return res.json;
};

const email = () => `u${randomBytes(5).toString('hex')}@example.com`;

const accountsWith = async (address: string) =>
  Number((await t.database.db.execute<{ n: number }>('select count(*)::int as n from accounts where lower(email) = lower(?)', [address]))[0].n);

const monitorsOf = async (projectId: string) =>
  Number((await t.database.db.execute<{ n: number }>('select count(*)::int as n from monitors where project_id = ?', [projectId]))[0].n);

describe('POST /api/v1/accounts', () => {
  it('answers 403 with a clear message while TOCK_OPEN_SIGNUP is off, whatever the body, and creates nothing', async () => {
    const address = email();
    for (const raw of [JSON.stringify({ email: address }), '{"email":']) {
      const res = await api('/api/v1/accounts', { key: null, raw, on: closed });
      expect(res.status).toBe(403);
      expect(res.json).toEqual({ error: expect.stringContaining('TOCK_OPEN_SIGNUP') });
    }
    expect(await accountsWith(address)).toBe(0);
  });

  it('creates an account whose key works at once and whose email gets the alerts of its project', async () => {
    const address = email();
    const res = await api('/api/v1/accounts', { key: null, body: { email: address } });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ apiKey: API_KEY, plan: 'self-hosted', monitors: null });
    const listed = await api('/api/v1/monitors', { key: res.json.apiKey });
    expect(listed.json).toEqual({ monitors: [], count: 0 });
    const projects = await server.trpc(res.json.apiKey).projects.list();
    expect(projects.items).toEqual([expect.objectContaining({ notifyEmail: address })]);
  });

  it('answers 409 for an email that already has an account and never returns its key', async () => {
    const address = email();
    const first = await api('/api/v1/accounts', { key: null, body: { email: address } });
    expect(first.status).toBe(201);
    const again = await api('/api/v1/accounts', { key: null, body: { email: address } });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ error: expect.stringContaining('An account already exists for this email') });
    expect(again.text).not.toContain(first.json.apiKey);
    expect(again.text).not.toMatch(/tock_/);
    // The address in other letter case is the same address.
    const shouted = await api('/api/v1/accounts', { key: null, body: { email: address.toUpperCase() } });
    expect(shouted.status).toBe(409);
    expect(shouted.text).not.toMatch(/tock_/);
    expect(await accountsWith(address)).toBe(1);
  });

  it.each([
    [{ email: 'not-an-email' }, 'email: must be an email address'],
    [{}, 'email: is required'],
    [{ email: 42 }, 'email: must be a string'],
    [{ email: 'x@example.com', plan: 'pro' }, 'Unknown field: plan'],
  ])('refuses %j with 400 naming what to fix', async (body, message) => {
    const res = await api('/api/v1/accounts', { key: null, body });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: message });
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await api('/api/v1/accounts', { key: null, raw: '{"email": "x@example.com"' });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/JSON/);
  });

  it('limits account creation per client address with 429, Retry-After and the error shape, storing nothing past it', async () => {
    const limited = await startCronpeekServer(t, { openSignup: true, limits: { signupRatePerIp: 2 } });
    try {
      for (let i = 0; i < 2; i++) expect((await api('/api/v1/accounts', { key: null, body: { email: email() }, on: limited })).status).toBe(201);
      const address = email();
      const res = await api('/api/v1/accounts', { key: null, body: { email: address }, on: limited });
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.json).toEqual({ error: expect.stringMatching(/^Too many accounts created from this address: at most 2 an hour; retry in \d+ s$/) });
      expect(await accountsWith(address)).toBe(0);
    } finally {
      await limited.close();
    }
  });
});

describe('monitors', () => {
  it.each([
    [300, 60],
    [605, 61],
    [3600, 360],
    [86400, 8640],
  ])('default grace to 10%% of the schedule with a 60 s minimum: schedule %i, grace %i', async (schedule, grace) => {
    expect(await create({ name: 'defaults', schedule })).toMatchObject({ schedule, grace });
  });

  it.each([
    [{}, 'name: is required'],
    [{ name: 'x' }, 'schedule: is required'],
    [{ name: 'x', schedule: 59 }, 'schedule: must be at least 60 seconds'],
    [{ name: 'x', schedule: '3600' }, 'schedule: must be a whole number of seconds'],
    [{ name: 'x', schedule: 90.5 }, 'schedule: must be a whole number of seconds'],
    [{ name: 'x', schedule: 366 * 86_400 + 1 }, /^schedule: must be a whole number of seconds between 1 and 31622400$/],
    [{ name: 'x', schedule: 3600, grace: 30 }, 'grace: must be at least 60 seconds'],
    [{ name: 'x', schedule: 3600, grace: 31 * 86_400 }, /^grace: must be at most 2592000/],
    [{ name: '', schedule: 3600 }, 'name: must not be empty'],
    [{ name: 'n'.repeat(201), schedule: 3600 }, 'name: must be at most 200 characters'],
    [{ name: 'a\u0000b', schedule: 3600 }, /^name: must not contain NUL characters/],
    [{ name: 'x', schedule: 3600, alertEmail: 'nope' }, 'alertEmail: must be an email address'],
    [{ name: 'x', schedule: 3600, alertEmail: 7 }, 'alertEmail: must be a string'],
    [{ name: 'x', schedule: 3600, alertWebhook: 'ftp://hooks.example.com/x' }, /^alertWebhook: Invalid URL 'ftp:\/\/hooks\.example\.com\/x': scheme 'ftp' is not allowed/],
    [{ name: 'x', schedule: 3600, alertWebhook: 'hooks.example.com' }, /^alertWebhook: Invalid URL 'hooks\.example\.com': not an absolute URL/],
    [{ name: 'x', schedule: 3600, colour: 'red' }, 'Unknown field: colour'],
    [{ name: 'x', schedule: 3600, alertWebHook: 'https://x.example.com' }, 'Unknown field: alertWebHook'],
    [['name', 'x'], 'Body: must be a JSON object'],
  ])('refuse %j with 400 naming what to fix, storing nothing', async (body, message) => {
    const before = await monitorsOf(a.projectId);
    const res = await api('/api/v1/monitors', { body });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: typeof message === 'string' ? message : expect.stringMatching(message) });
    expect(await monitorsOf(a.projectId)).toBe(before);
  });

  it('refuse malformed JSON and a body that is not JSON with 400', async () => {
    const broken = await api('/api/v1/monitors', { raw: '{"name": "x", "schedule": 60' });
    expect(broken.status).toBe(400);
    expect(broken.json.error).toMatch(/JSON/);
    const text = await call(`${server.url}/api/v1/monitors`, { method: 'POST', headers: { 'x-api-key': a.secret, 'content-type': 'text/plain' }, body: 'name=x' });
    expect(text.status).toBe(400);
    expect(text.json).toEqual({ error: 'Body: must be a JSON object' });
    const form = await call(`${server.url}/api/v1/monitors`, {
      method: 'POST',
      headers: { 'x-api-key': a.secret, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=x&schedule=60',
    });
    expect(form.status).toBe(415);
    expect(form.json.error).toMatch(/send application\/json/);
  });

  it('are listed newest first with their count, every one of them past one page of the core', async () => {
    const c = await t.tenant('many');
    for (let i = 0; i < 205; i++) await t.core.monitors.create(c.actor, { name: `m${String(i).padStart(3, '0')}`, periodSeconds: 60 });
    const res = await api('/api/v1/monitors', { key: c.secret });
    expect(res.status).toBe(200);
    expect(res.json.count).toBe(205);
    expect(res.json.monitors).toHaveLength(205);
    expect(res.json.monitors.map((m: { name: string }) => m.name)).toEqual(Array.from({ length: 205 }, (_, i) => `m${String(204 - i).padStart(3, '0')}`));
  });

  it('are read by id and by status alike', async () => {
    const m = await create({ name: 'read me', schedule: 600 });
    const byId = await api(`/api/v1/monitors/${m.monitorId}`);
    const status = await api(`/api/v1/monitors/${m.monitorId}/status`);
    expect(byId.status).toBe(200);
    expect(byId.json).toEqual(m);
    expect(status.json).toEqual(m);
  });

  it('change by PATCH: given fields change, null clears an alert channel and puts grace back to its default', async () => {
    const m = await create({ name: 'patch me', schedule: 3600, grace: 120, alertEmail: 'oncall@example.com' });
    const renamed = await api(`/api/v1/monitors/${m.monitorId}`, { method: 'PATCH', body: { name: 'patched', schedule: 7200 } });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ name: 'patched', schedule: 7200, grace: 120, alertEmail: 'oncall@example.com', pingUrl: m.pingUrl });
    const cleared = await api(`/api/v1/monitors/${m.monitorId}`, { method: 'PATCH', body: { grace: null, alertEmail: null, alertWebhook: 'https://hooks.example.com/x' } });
    expect(cleared.json).toMatchObject({ name: 'patched', schedule: 7200, grace: 720, alertEmail: null, alertWebhook: 'https://hooks.example.com/x' });
    const same = await api(`/api/v1/monitors/${m.monitorId}`, { method: 'PATCH', body: {} });
    expect(same.json).toEqual(cleared.json);
    expect((await api(`/api/v1/monitors/${m.monitorId}`)).json).toEqual(cleared.json);
  });

  it('refuse a bad PATCH with 400 and keep what they had', async () => {
    const m = await create({ name: 'keep me', schedule: 3600 });
    for (const [body, message] of [
      [{ schedule: 30 }, 'schedule: must be at least 60 seconds'],
      [{ schedule: null }, 'schedule: must be a whole number of seconds'],
      [{ name: '' }, 'name: must not be empty'],
      [{ alertWebhook: 'gopher://x' }, expect.stringMatching(/^alertWebhook: Invalid URL/)],
      [{ pingCount: 0 }, 'Unknown field: pingCount'],
    ] as const) {
      const res = await api(`/api/v1/monitors/${m.monitorId}`, { method: 'PATCH', body });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: message });
    }
    expect((await api(`/api/v1/monitors/${m.monitorId}`)).json).toEqual(m);
  });

  it('are replaced by PUT: what the body leaves out takes its create default, fields other surfaces set stay', async () => {
    const m = await create({ name: 'put me', schedule: 3600, grace: 900, alertWebhook: 'https://hooks.example.com/a', alertEmail: 'x@example.com' });
    const trpc = server.trpc(a.secret);
    await trpc.monitors.update(m.monitorId, { key: 'nightly-backup', alertPolicy: 'every_failure' });
    const res = await api(`/api/v1/monitors/${m.monitorId}`, { method: 'PUT', body: { name: 'replaced', schedule: 600 } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ monitorId: m.monitorId, name: 'replaced', schedule: 600, grace: 60, alertEmail: null, alertWebhook: null, pingUrl: m.pingUrl });
    expect(await trpc.monitors.get(m.monitorId)).toMatchObject({ key: 'nightly-backup', alertPolicy: 'every_failure', periodSeconds: 600 });
    const missing = await api(`/api/v1/monitors/${m.monitorId}`, { method: 'PUT', body: { name: 'no schedule' } });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ error: 'schedule: is required' });
  });

  it('are deleted once: afterwards every call on the id answers 404', async () => {
    const m = await create({ name: 'delete me', schedule: 3600 });
    expect((await api(`/api/v1/monitors/${m.monitorId}`, { method: 'DELETE' })).json).toEqual({ deleted: true });
    for (const [method, path] of [['GET', ''], ['GET', '/status'], ['PATCH', ''], ['DELETE', '']] as const) {
      const res = await api(`/api/v1/monitors/${m.monitorId}${path}`, { method, ...(method === 'PATCH' ? { body: { name: 'x' } } : {}) });
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ error: `No monitor with id '${m.monitorId}'` });
    }
    expect((await call(pingAt(server, m.pingUrl))).status).toBe(404);
  });

  it.each(['a1b2c3d4e5f67890', `mon_${'0'.repeat(26)}`, 'sched_01jx0000000000000000000000'])('answer 404 for an id that names no monitor: %s', async (id) => {
    const res = await api(`/api/v1/monitors/${id}/status`);
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: `No monitor with id '${id}'` });
  });

  it('answer 405 with Allow, in the error shape, for a method a path does not serve', async () => {
    const res = await api('/api/v1/monitors', { method: 'PUT', body: {} });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, POST, HEAD');
    expect(res.json).toEqual({ error: 'PUT is not allowed on /api/v1/monitors (allowed: GET, POST, HEAD)' });
    expect((await api('/api/v1/monitors/mon_x/status', { method: 'DELETE' })).status).toBe(405);
    expect((await api('/api/v1/accounts', { method: 'GET', key: null })).status).toBe(405);
  });
});

describe('keys, scopes and tenants', () => {
  it('answer 401 in the error shape without a key or with a bad one, and take the key as a Bearer token too', async () => {
    for (const key of [null, 'cpk_0123456789abcdef0123456789abcdef']) {
      const res = await api('/api/v1/monitors', { key });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: expect.stringContaining('API key') });
    }
    const bearer = await call(`${server.url}/api/v1/monitors`, { headers: { authorization: `Bearer ${a.secret}` } });
    expect(bearer.status).toBe(200);
  });

  it('a key with read:monitors only reads, and gets 403 on create, update and delete, changing nothing', async () => {
    const m = await create({ name: 'guarded', schedule: 3600 });
    const { secret: reader } = await t.core.keys.create(a.principal, { name: 'reader', scopes: ['read:monitors'] });
    expect((await api(`/api/v1/monitors/${m.monitorId}`, { key: reader })).status).toBe(200);
    const before = await monitorsOf(a.projectId);
    const writes: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/monitors', { name: 'no', schedule: 3600 }],
      ['PATCH', `/api/v1/monitors/${m.monitorId}`, { name: 'no' }],
      ['PUT', `/api/v1/monitors/${m.monitorId}`, { name: 'no', schedule: 3600 }],
      ['DELETE', `/api/v1/monitors/${m.monitorId}`, undefined],
    ];
    for (const [method, path, body] of writes) {
      const res = await api(path, { method, key: reader, body });
      expect(res.status).toBe(403);
      expect(res.json).toEqual({ error: "This key lacks the 'write:monitors' scope" });
    }
    expect(await monitorsOf(a.projectId)).toBe(before);
    expect((await api(`/api/v1/monitors/${m.monitorId}`)).json).toEqual(m);
  });

  it("another account's monitor answers 404 to every call and stays as it was", async () => {
    const theirs = await create({ name: 'theirs', schedule: 3600, alertWebhook: 'https://hooks.example.com/b' }, b.secret);
    const calls: Array<[string, string, unknown]> = [
      ['GET', '', undefined],
      ['GET', '/status', undefined],
      ['PATCH', '', { name: 'mine now' }],
      ['PUT', '', { name: 'mine now', schedule: 60 }],
      ['DELETE', '', undefined],
    ];
    for (const [method, path, body] of calls) {
      const res = await api(`/api/v1/monitors/${theirs.monitorId}${path}`, { method, body });
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ error: `No monitor with id '${theirs.monitorId}'` });
    }
    expect((await api(`/api/v1/monitors/${theirs.monitorId}`, { key: b.secret })).json).toEqual(theirs);
    const mine = await api('/api/v1/monitors');
    expect(mine.json.monitors.map((m: { monitorId: string }) => m.monitorId)).not.toContain(theirs.monitorId);
  });
});

describe('the monitor limit (TOCK_MONITOR_LIMIT)', () => {
  it('answers 403 with the documented message past it on this dialect and on tRPC alike; a delete frees a slot', async () => {
    const limitedCore = await createTestCore({ database: t.database, publicUrl: PUBLIC_URL, monitorLimit: 2 });
    const limited = await startCronpeekServer(limitedCore, { openSignup: true });
    try {
      const account = await api('/api/v1/accounts', { key: null, body: { email: email() }, on: limited });
      expect(account.json).toMatchObject({ monitors: 2 });
      const key = account.json.apiKey;
      const first = await api('/api/v1/monitors', { key, body: { name: 'one', schedule: 60 }, on: limited });
      expect((await api('/api/v1/monitors', { key, body: { name: 'two', schedule: 60 }, on: limited })).status).toBe(201);
      const over = await api('/api/v1/monitors', { key, body: { name: 'three', schedule: 60 }, on: limited });
      expect(over.status).toBe(403);
      expect(over.json).toEqual({ error: 'Monitor limit reached (2). Upgrade your plan for more monitors.' });
      await expect(limited.trpc(key).monitors.create({ name: 'three', periodSeconds: 60 })).rejects.toMatchObject({ code: 'monitor_limit_reached' });

      await api(`/api/v1/monitors/${first.json.monitorId}`, { method: 'DELETE', key, on: limited });
      expect((await api('/api/v1/monitors', { key, body: { name: 'three', schedule: 60 }, on: limited })).status).toBe(201);
      expect((await api('/api/v1/monitors', { key, on: limited })).json.count).toBe(2);
    } finally {
      await limited.close();
    }
  });
});

describe('pings', () => {
  it('record a success with the client address, the user agent and a POST body', async () => {
    const m = await create({ name: 'pinged', schedule: 3600 });
    const url = pingAt(server, m.pingUrl);
    expect((await call(url, { headers: { 'user-agent': 'backup.sh/1.0' } })).json).toEqual({ ok: true, monitor: 'pinged', status: 'up' });
    const posted = await call(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'backup.sh/1.0' }, body: '{"rows": 1200' });
    expect(posted.status).toBe(200);
    const pings = await t.core.monitors.listPings(a.actor, m.monitorId);
    expect(pings.items.map((p) => ({ kind: p.kind, ip: p.sourceIp, ua: p.userAgent, body: p.body }))).toEqual([
      { kind: 'success', ip: '127.0.0.1', ua: 'backup.sh/1.0', body: '{"rows": 1200' },
      { kind: 'success', ip: '127.0.0.1', ua: 'backup.sh/1.0', body: null },
    ]);
    expect((await api(`/api/v1/monitors/${m.monitorId}/status`)).json).toMatchObject({ status: 'up', pingCount: 2, lastPing: ISO });
  });

  it.each(['0123456789abcdefABCDEFGH', 'nope', 'x'.repeat(90)])('answer 404 in the error shape for an unknown token: %s', async (token) => {
    for (const method of ['GET', 'POST']) {
      const res = await call(`${server.url}/api/v1/ping/${token}`, { method });
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ error: 'No monitor has this ping token: use the pingUrl its monitor was created with' });
    }
    expect((await call(`${server.url}/api/v1/ping/${token}`, { method: 'HEAD' })).status).toBe(404);
  });

  it("share their token with Tock's own /ping/<token>, and no other surface sees the bare token", async () => {
    const m = await create({ name: 'two paths', schedule: 3600 });
    const token = m.pingUrl.split('/').pop();
    expect(m.pingUrl).toBe(`${PUBLIC_URL}/api/v1/ping/${token}`);
    expect((await call(`${server.url}/ping/${token}`)).status).toBe(200);
    expect((await call(pingAt(server, m.pingUrl))).status).toBe(200);
    const viaTrpc = await server.trpc(a.secret).monitors.get(m.monitorId);
    expect(viaTrpc).toMatchObject({ pingCount: 2, pingUrl: `${PUBLIC_URL}/ping/${token}` });
    expect(viaTrpc).not.toHaveProperty('pingToken');
  });

  it('leave a paused monitor paused and say so', async () => {
    const m = await create({ name: 'paused', schedule: 3600 });
    await server.trpc(a.secret).monitors.pause(m.monitorId);
    expect((await call(pingAt(server, m.pingUrl))).json).toEqual({ ok: true, monitor: 'paused', status: 'paused' });
    expect((await api(`/api/v1/monitors/${m.monitorId}/status`)).json).toMatchObject({ status: 'paused', pingCount: 1 });
  });

  it('are limited per token and per client address with 429, Retry-After and the error shape, recording nothing past it', async () => {
    const perToken = await startCronpeekServer(t, { limits: { pingRatePerToken: 3 } });
    const perIp = await startCronpeekServer(t, { limits: { pingRatePerIp: 4 } });
    try {
      const m = await create({ name: 'busy', schedule: 3600 });
      const url = perToken.url + m.pingUrl.slice(PUBLIC_URL.length);
      for (let i = 0; i < 3; i++) expect((await call(url)).status).toBe(200);
      const limited = await call(url, { method: 'POST', body: 'late' });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(limited.json).toEqual({ error: expect.stringMatching(/^Too many pings for this token: at most 3 a minute; retry in \d+ s$/) });
      expect((await api(`/api/v1/monitors/${m.monitorId}/status`)).json.pingCount).toBe(3);

      const x = await create({ name: 'x', schedule: 3600 });
      const y = await create({ name: 'y', schedule: 3600 });
      const answers = [];
      for (const p of [x, y, x, y, x]) answers.push(await call(perIp.url + p.pingUrl.slice(PUBLIC_URL.length)));
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 429]);
      expect(answers[4].json).toEqual({ error: expect.stringMatching(/^Too many pings from this address: at most 4 a minute/) });
    } finally {
      await perToken.close();
      await perIp.close();
    }
  });

  it('answer 405 for a method other than GET, POST and HEAD', async () => {
    const m = await create({ name: 'methods', schedule: 3600 });
    const res = await call(pingAt(server, m.pingUrl), { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.json).toEqual({ error: expect.stringContaining('allowed: GET, POST, HEAD') });
  });
});

describe('GET /api/health', () => {
  it('answers 503 with the error field while the database does not answer', async () => {
    const gone = await createTestDatabase();
    await gone.close();
    const down = await startCronpeekServer(t, { databaseReachable: () => gone.db.isReachable() });
    try {
      const res = await call(`${down.url}/api/health`);
      expect(res.status).toBe(503);
      expect(res.json).toEqual({ status: 'unavailable', service: 'tock', version: expect.any(String), timestamp: ISO, error: expect.stringContaining('database') });
    } finally {
      await down.close();
    }
  });
});

describe('GET /openapi.json', () => {
  it('describes the CronPeek routes with the schemas they validate with, and not the 405 answers', async () => {
    const doc = (await call(`${server.url}/openapi.json`)).json;
    const cronpeek = Object.fromEntries(
      Object.entries(doc.paths as Record<string, Record<string, { tags?: string[] }>>)
        .filter(([, ops]) => Object.values(ops).some((op) => op.tags?.includes('cronpeek')))
        .map(([path, ops]) => [path, Object.keys(ops).sort()]),
    );
    expect(cronpeek).toEqual({
      '/api/v1/accounts': ['post'],
      '/api/v1/monitors': ['get', 'post'],
      '/api/v1/monitors/{id}': ['delete', 'get', 'patch', 'put'],
      '/api/v1/monitors/{id}/status': ['get'],
      '/api/v1/ping/{token}': ['get', 'post'],
      '/api/health': ['get'],
    });
    const create = doc.paths['/api/v1/monitors'].post.requestBody.content['application/json'].schema;
    expect(create).toMatchObject({ required: ['name', 'schedule'], additionalProperties: false, properties: { schedule: { type: 'integer', minimum: 60 } } });
  });
});

describe('the whole file', () => {
  it('answered nothing with a 5xx and logged no error', () => {
    expect([server.errors, closed.errors]).toEqual([[], []]);
  });
});
