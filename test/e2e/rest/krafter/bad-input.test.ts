import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idOfUuid } from '../../../../server/core/ids.js';
import { startKrafterWorld, type KrafterWorld } from './harness.js';

/**
 * Bad input, other tenants and scopes on the Krafter dialect: each answers 4xx in the
 * document's error shape, `{"error":{"code","message"}}`, with a message that says what to fix,
 * and nothing is stored or changed.
 */
let w: KrafterWorld;
const BASE = '/api/v1/cron/jobs';
const valid = { name: 'Valid', schedule_type: 'interval', schedule: 'every_5m', url: 'https://example.com/hook' };

beforeAll(async () => {
  w = await startKrafterWorld();
});
afterAll(async () => {
  await w?.close();
});

async function jobCount(key = w.key): Promise<number> {
  return (await w.call('GET', `${BASE}?limit=200`, { key })).json.data.length;
}

describe('a create with bad input', () => {
  const cases: Array<[what: string, body: unknown, code: string, message: string | RegExp]> = [
    ['malformed JSON', '{"name": "x",', 'invalid_argument', /^Body is not valid JSON/],
    ['a body that is not an object', '[1, 2]', 'invalid_argument', 'Body: must be a JSON object'],
    ['an empty JSON body', '', 'invalid_argument', 'Body: must be a JSON object'],
    ['a JSON body with a poisoned prototype', '{"__proto__": {"admin": true}}', 'invalid_argument', /^Body is not valid JSON/],
    ['a missing name', { ...valid, name: undefined }, 'invalid_argument', 'name: is required'],
    ['a missing url', { ...valid, url: undefined }, 'invalid_argument', 'url: is required'],
    ['a number for the name', { ...valid, name: 42 }, 'invalid_argument', 'name: must be a string'],
    ['a string for timeout_ms', { ...valid, timeout_ms: '30s' }, 'invalid_argument', 'timeout_ms: must be a number'],
    ['a string for enabled', { ...valid, enabled: 'yes' }, 'invalid_argument', 'enabled: must be true or false'],
    ['headers that are not strings', { ...valid, headers: { 'X-A': 1 } }, 'invalid_argument', 'headers.X-A: must be a string'],
    ['headers that are not an object', { ...valid, headers: ['X-A'] }, 'invalid_argument', 'headers: must be an object of header names to string values'],
    ['an unknown field', { ...valid, colour: 'red' }, 'invalid_argument', 'Unknown field: colour'],
    ['a read-only field', { ...valid, id: 'a1b2c3d4-5e6f-7a8b-9c0d-1e2f3a4b5c6d' }, 'invalid_argument', 'Unknown field: id'],
    ['an unknown schedule_type', { ...valid, schedule_type: 'weekly' }, 'invalid_argument', "schedule_type: must be 'cron' or 'interval'"],
    [
      'an interval that is not a preset',
      { ...valid, schedule: 'every_5x' },
      'invalid_argument',
      "schedule: 'every_5x' is not an interval preset: with schedule_type 'interval' use every_<n>s, every_<n>m, every_<n>h or every_<n>d with n a whole number from 1 (e.g. every_5m); for a cron expression set schedule_type to 'cron'",
    ],
    ['a zero interval', { ...valid, schedule: 'every_0m' }, 'invalid_argument', /^schedule: 'every_0m' is not an interval preset: .*every_<n>s/],
    ['a cron expression as an interval', { ...valid, schedule: '*/5 * * * *' }, 'invalid_argument', /^schedule: '\*\/5 \* \* \* \*' is not an interval preset/],
    ['an interval past a year', { ...valid, schedule: 'every_400d' }, 'invalid_argument', 'schedule: the interval must be a whole number of seconds between 1 and 31622400 (every_1s to every_366d)'],
    ['a preset as a cron expression', { ...valid, schedule_type: 'cron' }, 'invalid_argument', "schedule: 'every_5m' is an interval preset: set schedule_type to 'interval', or give a cron expression"],
    [
      'a cron expression with three fields',
      { ...valid, schedule_type: 'cron', schedule: '* * *' },
      'invalid_cron',
      "schedule: Invalid cron expression: '* * *' (expected 5 fields, or 6 with seconds first; got 3)",
    ],
    ['a cron expression out of range', { ...valid, schedule_type: 'cron', schedule: '61 * * * *' }, 'invalid_cron', /^schedule: Invalid cron expression: '61 \* \* \* \*'/],
    ['an unknown time zone', { ...valid, schedule_type: 'cron', schedule: '0 9 * * *', timezone: 'Mars/Olympus' }, 'invalid_timezone', /^Unknown time zone 'Mars\/Olympus'/],
    ['a URL that is not http(s)', { ...valid, url: 'ftp://example.com/x' }, 'invalid_url', "Invalid URL 'ftp://example.com/x': scheme 'ftp' is not allowed (use http or https)"],
    ['a URL that is not absolute', { ...valid, url: '/relative' }, 'invalid_url', /not an absolute URL/],
    ['a URL the target policy refuses', { ...valid, url: 'http://10.0.0.5/x' }, 'invalid_url', /10\.0\.0\.5 is a private-network address; allow it with TOCK_ALLOW_TARGETS/],
    ['an unknown method', { ...valid, method: 'FETCH' }, 'invalid_argument', /^method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD/],
    ['too many retries', { ...valid, max_retries: 50 }, 'invalid_argument', 'max_retries: must be at most 20'],
    ['a timeout past 5 minutes', { ...valid, timeout_ms: 600_000 }, 'invalid_argument', 'timeout_ms: must be at most 300000 ms (5 minutes)'],
    ['a fractional timeout', { ...valid, timeout_ms: 1.5 }, 'invalid_argument', 'timeout_ms: must be an integer'],
    ['a header the HTTP client sets', { ...valid, headers: { 'Content-Length': '5' } }, 'invalid_argument', /is set by the HTTP client; remove this header/],
    ['an empty name', { ...valid, name: '  ' }, 'invalid_argument', 'name: must not be empty'],
    ['a NUL in the name', { ...valid, name: 'a\u0000b' }, 'invalid_argument', 'name: must not contain NUL characters or unpaired surrogates (send well-formed Unicode text)'],
  ];

  for (const [what, body, code, message] of cases) {
    it(`with ${what} answers 400 ${code} saying what to fix, and stores nothing`, async () => {
      const before = await jobCount();
      const res = await w.call('POST', BASE, { body: typeof body === 'string' ? body : JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(Object.keys(res.json)).toEqual(['error']);
      expect(Object.keys(res.json.error).sort()).toEqual(['code', 'message']);
      expect(res.json.error.code).toBe(code);
      if (typeof message === 'string') expect(res.json.error.message).toBe(message);
      else expect(res.json.error.message).toMatch(message);
      expect(res.json.error.message).not.toMatch(/sched_|interval_seconds|alert_on/);
      expect(await jobCount()).toBe(before);
    });
  }

  it('with a body past the limit answers 413 in the same shape', async () => {
    const res = await w.call('POST', BASE, { body: { ...valid, name: 'x'.repeat(3 * 1024 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('payload_too_large');
  });

  it('sent as a form answers 415 saying to send JSON', async () => {
    const res = await w.call('POST', BASE, { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
    expect(res.json.error.message).toMatch(/send application\/json/);
  });
});

describe('keys', () => {
  it('missing or unknown answer 401 in the document shape, on every endpoint', async () => {
    const { id } = (await w.call('POST', BASE, { body: valid })).json.data;
    for (const key of [null, 'kr_live_abc123def456']) {
      for (const [method, path] of [
        ['POST', BASE],
        ['GET', BASE],
        ['GET', `${BASE}/${id}`],
        ['PATCH', `${BASE}/${id}`],
        ['DELETE', `${BASE}/${id}`],
        ['GET', `${BASE}/${id}/executions`],
        ['POST', `${BASE}/${id}/trigger`],
        ['POST', `${BASE}/${id}/pause`],
        ['POST', `${BASE}/${id}/resume`],
        ['GET', `${BASE}/not-a-uuid`],
      ]) {
        const res = await w.call(method, path, { key, body: method === 'POST' && path === BASE ? valid : method === 'PATCH' ? {} : undefined });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.json.error.code).toBe('unauthenticated');
        expect(res.json.error.message).toMatch(/Authorization: Bearer <key>/);
      }
    }
    expect((await w.call('GET', `${BASE}/${id}`)).json.data.enabled).toBe(true);
  });

  it('X-API-Key works as well as Authorization: Bearer', async () => {
    const res = await w.call('GET', BASE, { key: null, headers: { 'x-api-key': w.key } });
    expect(res.status).toBe(200);
  });

  it("of another account answer 404 for this account's job on every endpoint, and change nothing", async () => {
    const created = (await w.call('POST', BASE, { body: { ...valid, name: 'Mine' } })).json.data;
    const other = await w.tenant('other');
    for (const [method, path, body] of [
      ['GET', `${BASE}/${created.id}`, undefined],
      ['PUT', `${BASE}/${created.id}`, { ...valid, name: 'Theirs' }],
      ['PATCH', `${BASE}/${created.id}`, { name: 'Theirs' }],
      ['PATCH', `${BASE}/${created.id}`, { schedule: 'every_1m' }],
      ['DELETE', `${BASE}/${created.id}`, undefined],
      ['GET', `${BASE}/${created.id}/executions`, undefined],
      ['POST', `${BASE}/${created.id}/trigger`, undefined],
      ['POST', `${BASE}/${created.id}/pause`, undefined],
      ['POST', `${BASE}/${created.id}/resume`, undefined],
    ] as const) {
      const res = await w.call(method, path, { key: other.key, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json).toEqual({ error: { code: 'not_found', message: `No cron job with id '${created.id}'` } });
    }
    expect((await w.call('GET', BASE, { key: other.key })).json.data).toEqual([]);
    const after = (await w.call('GET', `${BASE}/${created.id}`)).json.data;
    expect(after).toEqual(created);
    const admin = await w.tock.core.actor(await w.tock.core.authenticate(w.key));
    const history = await w.tock.core.schedules.listExecutions(admin, idOfUuid('schedule', created.id)!);
    expect(history.items).toEqual([]);
  });

  it('with read scopes only read, and get 403 naming the scope (as Tock and Krafter call it) on every write', async () => {
    const created = (await w.call('POST', BASE, { body: { ...valid, name: 'Read me' } })).json.data;
    const reader = await w.tenant('reader', ['read:jobs']);
    // A key of the same account, limited to reading.
    const [project] = (await w.tock.core.projects.list(await w.tock.core.authenticate(w.key))).items;
    const principal = await w.tock.core.authenticate(w.key);
    const { secret } = await w.tock.core.keys.createUnchecked({ accountId: principal.accountId, projectId: project.id, name: 'ro', scopes: ['read:jobs'] });

    expect((await w.call('GET', BASE, { key: reader.key })).status).toBe(200);
    expect((await w.call('GET', `${BASE}/${created.id}`, { key: secret })).json.data).toEqual(created);
    expect((await w.call('GET', `${BASE}/${created.id}/executions`, { key: secret })).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', BASE, valid],
      ['PUT', `${BASE}/${created.id}`, valid],
      ['PATCH', `${BASE}/${created.id}`, { name: 'Changed' }],
      ['DELETE', `${BASE}/${created.id}`, undefined],
      ['POST', `${BASE}/${created.id}/trigger`, undefined],
      ['POST', `${BASE}/${created.id}/pause`, undefined],
      ['POST', `${BASE}/${created.id}/resume`, undefined],
    ] as const) {
      const res = await w.call(method, path, { key: secret, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json).toEqual({ error: { code: 'permission_denied', message: "This key lacks the 'write:jobs' scope (Krafter's cron:write)" } });
    }
    expect((await w.call('GET', `${BASE}/${created.id}`)).json.data).toEqual(created);
  });
});
