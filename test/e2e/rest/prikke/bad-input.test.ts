import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../../helpers/core.js';
import { call, startPrikke, type Answer, type PrikkeServer } from './harness.js';

/**
 * Bad input and other tenants' objects: every one answers 4xx in Prikke's error shape with a
 * message that says what to fix, and changes nothing.
 */

let s: PrikkeServer;
let a: TestTenant;
let recurringId: string;
let oneTimeId: string;

beforeAll(async () => {
  s = await startPrikke({ limits: { bodyLimit: 4096 } });
  a = await s.tenant('a');
  recurringId = (await call(s.url, 'POST', '/jobs', { key: a.secret, json: { key: 'mine', name: 'Mine', url: 'https://myapp.com/m', cron: '0 6 * * *' } })).body.job.id;
  oneTimeId = (await call(s.url, 'POST', '/jobs', { key: a.secret, json: { key: 'once', url: 'https://myapp.com/o', run_at: '2031-01-01T00:00:00Z' } })).body.job.id;
});
afterAll(() => s?.close());

function expectError(res: Answer, status: number, code: string, message: string | RegExp): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(res.body)).toEqual(['error']);
  if (typeof message === 'string') expect(res.body.error.message).toBe(message);
  else expect(res.body.error.message).toMatch(message);
}

const post = (json: unknown) => call(s.url, 'POST', '/jobs', { key: a.secret, json });

describe('a bad request body', () => {
  it('that is not JSON, is empty, or is not an object answers 400', async () => {
    const broken = await call(s.url, 'POST', '/jobs', { key: a.secret, body: '{"url":', headers: { 'content-type': 'application/json' } });
    expectError(broken, 400, 'invalid_argument', /^Body is not valid JSON/);
    const empty = await call(s.url, 'PUT', '/sync', { key: a.secret, body: '', headers: { 'content-type': 'application/json' } });
    expectError(empty, 400, 'invalid_argument', 'Body is empty: send a JSON object');
    expectError(await post([1, 2]), 400, 'invalid_argument', /^Body: /);
  });

  it('with a field of the wrong type, a missing field or an unknown field answers 400 naming it', async () => {
    expectError(await post({ url: 5, cron: '* * * * *' }), 400, 'invalid_argument', 'url: must be a string');
    expectError(await post({ cron: '* * * * *' }), 400, 'invalid_argument', 'url: is required');
    expectError(await post({ url: 'https://myapp.com', cron: '* * * * *', headers: ['a'] }), 400, 'invalid_argument', 'headers: must be an object of header names to values');
    expectError(await post({ url: 'https://myapp.com', cron: '* * * * *', headers: { A: 1 } }), 400, 'invalid_argument', 'headers.A: must be a string (header values are text)');
    expectError(await post({ url: 'https://myapp.com', cron: '* * * * *', enabled: 'yes' }), 400, 'invalid_argument', 'enabled: must be true or false');
    expectError(await post({ url: 'https://myapp.com', cron: '* * * * *', colour: 'red' }), 400, 'invalid_argument', 'Unknown field: colour');
    // Prikke jobs run in UTC: there is no time zone field to get wrong.
    expectError(await post({ url: 'https://myapp.com', cron: '* * * * *', timezone: 'Mars/Olympus' }), 400, 'invalid_argument', 'Unknown field: timezone');
    expectError(await call(s.url, 'PUT', '/project', { key: a.secret, json: { notifications: { email: 5 } } }), 400, 'invalid_argument', 'notifications.email: must be a string');
  });

  it('with values the core refuses answers 400 with the core code, in Prikke field names', async () => {
    expectError(await post({ url: 'https://myapp.com', cron: '* * * *' }), 400, 'invalid_cron', "Invalid cron expression: '* * * *' (expected 5 fields, or 6 with seconds first; got 4)");
    expectError(await post({ url: 'https://myapp.com', cron: '0 25 * * *' }), 400, 'invalid_cron', /^Invalid cron expression: '0 25 \* \* \*'/);
    expectError(await post({ url: 'ftp://myapp.com/x', cron: '* * * * *' }), 400, 'invalid_url', "Invalid URL 'ftp://myapp.com/x': scheme 'ftp' is not allowed (use http or https)");
    expectError(await post({ url: 'myapp.com/x', run_at: '2031-01-01T00:00:00Z' }), 400, 'invalid_url', /^Invalid URL 'myapp.com\/x': not an absolute URL/);
    expectError(await post({ url: 'https://myapp.com', run_at: 'tomorrow' }), 400, 'invalid_argument', /^run_at: 'tomorrow' is not a date/);
    expectError(await post({ url: 'https://myapp.com', run_at: '2099-01-01T00:00:00Z' }), 400, 'invalid_argument', 'run_at: must be within 5 years from now');
    expectError(await post({ url: 'https://myapp.com', run_at: '2031-01-01T00:00:00Z', key: 'k'.repeat(256) }), 400, 'invalid_argument', 'key: must be at most 255 characters');
    expectError(await post({ url: 'https://myapp.com', cron: '* * * * *', headers: { 'Content-Length': '3' } }), 400, 'invalid_argument', /^headers\.Content-Length: is set by the HTTP client/);
    expectError(await post({ url: 'https://myapp.com', cron: '* * * * *', name: '' }), 400, 'invalid_argument', 'name: must not be empty');
    // PostgreSQL text cannot hold NUL: refused up front, not a failed write.
    for (const field of ['name', 'body']) {
      expectError(await post({ url: 'https://myapp.com', cron: '* * * * *', [field]: 'a\u0000b' }), 400, 'invalid_argument', `${field}: must not contain NUL characters or unpaired surrogates (send well-formed Unicode text)`);
    }
    expectError(await post({ url: 'https://myapp.com', run_at: '2031-01-01T00:00:00Z', key: 'a\u0000b' }), 400, 'invalid_argument', 'key: must not contain NUL characters or unpaired surrogates (send well-formed Unicode text)');
    expectError(await call(s.url, 'GET', '/jobs/key/a%00b', { key: a.secret }), 404, 'not_found', "No job with key 'a\u0000b'");
  });

  it('larger than the body limit answers 413', async () => {
    const res = await post({ url: 'https://myapp.com', cron: '* * * * *', body: 'x'.repeat(5000) });
    expectError(res, 413, 'payload_too_large', 'Request body is larger than 4096 bytes');
  });

  it('in a query answers 400 naming the parameter; a cursor not from this API is refused', async () => {
    expectError(await call(s.url, 'GET', '/jobs?limit=0', { key: a.secret }), 400, 'invalid_argument', 'query parameter limit: must be at least 1');
    expectError(await call(s.url, 'GET', '/jobs?limit=abc', { key: a.secret }), 400, 'invalid_argument', 'query parameter limit: must be a whole number');
    expectError(await call(s.url, 'GET', '/jobs?cursor=garbage', { key: a.secret }), 400, 'invalid_page_token', 'Invalid cursor: pass back the next_cursor of the previous page unchanged');
    expectError(await call(s.url, 'GET', `/jobs/${recurringId}/executions?cursor=x`, { key: a.secret }), 400, 'invalid_page_token', /^Invalid cursor/);
  });

  it('leaves what was stored as it was', async () => {
    expect((await s.world.t.core.schedules.list(a.actor)).items.map((x) => x.id)).toEqual([recurringId]);
    expect((await s.world.t.core.jobs.list(a.actor, { oneTime: true })).items.map((x) => x.id)).toEqual([oneTimeId]);
  });
});

describe('keys', () => {
  it('a missing or unknown key answers 401 on every route', async () => {
    for (const [method, path] of [
      ['PUT', '/sync'],
      ['POST', '/jobs'],
      ['GET', '/jobs'],
      ['GET', `/jobs/${recurringId}`],
      ['GET', '/jobs/key/mine'],
      ['PATCH', `/jobs/${recurringId}`],
      ['DELETE', `/jobs/${recurringId}`],
      ['GET', `/jobs/${recurringId}/executions`],
      ['GET', '/project'],
      ['PUT', '/project'],
    ]) {
      const json = method === 'GET' || method === 'DELETE' ? undefined : {};
      const none = await call(s.url, method, path, { json });
      expect([method, path, none.status, none.body.error.code]).toEqual([method, path, 401, 'unauthenticated']);
      const wrong = await call(s.url, method, path, { key: 'tock_notakey', json });
      expect([method, path, wrong.status]).toEqual([method, path, 401]);
    }
    expect((await call(s.url, 'GET', `/jobs/${recurringId}`, { key: a.secret })).status).toBe(200);
  });

  it('is also taken from X-API-Key', async () => {
    const res = await call(s.url, 'GET', '/jobs/key/mine', { headers: { 'x-api-key': a.secret } });
    expect(res.body.job.id).toBe(recurringId);
  });

  it('a read-only key reads and gets 403 on every write, which changes nothing', async () => {
    const readOnly = await s.keyWith(a, ['read:jobs', 'read:projects']);
    expect((await call(s.url, 'GET', '/jobs', { key: readOnly })).status).toBe(200);
    expect((await call(s.url, 'GET', '/project', { key: readOnly })).status).toBe(200);
    const writes: Array<[string, string, unknown, string]> = [
      ['POST', '/jobs', { url: 'https://myapp.com/x', cron: '* * * * *' }, 'write:jobs'],
      ['PATCH', `/jobs/${recurringId}`, { name: 'Theirs' }, 'write:jobs'],
      ['DELETE', `/jobs/${recurringId}`, undefined, 'write:jobs'],
      ['DELETE', `/jobs/${oneTimeId}`, undefined, 'write:jobs'],
      ['PUT', '/sync', { jobs: [], delete_removed: true }, 'write:jobs'],
      ['PUT', '/project', { notifications: { email: 'x@myapp.com' } }, 'write:projects'],
    ];
    for (const [method, path, json, scope] of writes) {
      const res = await call(s.url, method, path, { key: readOnly, json });
      expect([method, path, res.status, res.body.error.code, res.body.error.message]).toEqual([method, path, 403, 'permission_denied', `This key lacks the '${scope}' scope`]);
    }
    expect(await s.world.t.core.schedules.get(a.actor, recurringId)).toMatchObject({ name: 'Mine', state: 'active' });
    expect((await s.world.t.core.jobs.get(a.actor, oneTimeId)).status).toBe('scheduled');
    expect((await s.world.t.core.projects.get(a.principal, a.projectId)).notifyEmail).toBeNull();
  });
});

describe("another tenant's objects", () => {
  it('answer 404 to every route by id or key, and are left unchanged', async () => {
    const b = await s.tenant('b');
    for (const id of [recurringId, oneTimeId]) {
      for (const [method, path, json] of [
        ['GET', `/jobs/${id}`, undefined],
        ['PATCH', `/jobs/${id}`, { name: 'Theirs' }],
        ['DELETE', `/jobs/${id}`, undefined],
        ['GET', `/jobs/${id}/executions`, undefined],
      ] as const) {
        const res = await call(s.url, method, path, { key: b.secret, json });
        expect([method, path, res.status, res.body.error.message]).toEqual([method, path, 404, `No job with id '${id}'`]);
      }
    }
    expect((await call(s.url, 'GET', '/jobs/key/mine', { key: b.secret })).status).toBe(404);
    expect((await call(s.url, 'GET', '/jobs/key/once', { key: b.secret })).status).toBe(404);
    expect((await call(s.url, 'GET', '/jobs', { key: b.secret })).body.jobs).toEqual([]);
    const synced = await call(s.url, 'PUT', '/sync', { key: b.secret, json: { jobs: [{ key: 'mine', url: 'https://b.example/x', cron: '* * * * *' }], delete_removed: true } });
    expect(synced.body).toMatchObject({ created: ['mine'], deleted: [] });
    expect(await s.world.t.core.schedules.get(a.actor, recurringId)).toMatchObject({ name: 'Mine', url: 'https://myapp.com/m' });
    expect((await s.world.t.core.jobs.get(a.actor, oneTimeId)).status).toBe('scheduled');
  });

  it('an id of another kind of object, or no id at all, answers 404', async () => {
    const project = await call(s.url, 'GET', `/jobs/${a.projectId}`, { key: a.secret });
    expectError(project, 404, 'not_found', `No job with id '${a.projectId}'`);
    expectError(await call(s.url, 'GET', "/jobs/'%3B%20drop%20table%20jobs", { key: a.secret }), 404, 'not_found', "No job with id ''; drop table jobs'");
  });
});

describe('the per-key rate limit', () => {
  it('answers 429 with Retry-After in the error shape', async () => {
    const limited = await startPrikke({ limits: { ratePerKey: 3 } });
    try {
      const t = await limited.tenant();
      let last: Answer | null = null;
      for (let i = 0; i < 5; i++) last = await call(limited.url, 'GET', '/jobs', { key: t.secret });
      expect(last!.status).toBe(429);
      expect(Number(last!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(last!.body.error.code).toBe('rate_limited');
    } finally {
      await limited.close();
    }
  });
});
