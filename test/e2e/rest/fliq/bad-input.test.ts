import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../../helpers/core.js';
import { startFliqServer, type FliqServer } from './harness.js';

/**
 * Every kind of bad input answers 4xx in Fliq's shape with a message that says what to fix, and
 * changes nothing: bodies, types, unknown fields, enum values, cron, URLs, dates, query
 * parameters, body size, keys and scopes, another tenant's ids.
 */
let s: FliqServer;
let other: TestTenant;
const soon = () => new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  s = await startFliqServer({ bodyLimit: 16 * 1024 });
  other = await s.t.tenant('other');
});
afterAll(() => s?.close());

async function jobCount(tenant: TestTenant = s.admin): Promise<number> {
  return (await s.t.core.jobs.list(tenant.actor, { pageSize: 200 })).items.length;
}

describe('bad bodies', () => {
  it('answer malformed JSON, a non-object body, the wrong media type and an empty body with 4xx saying so', async () => {
    const before = await jobCount();
    const json = await s.call('POST', '/v1/jobs', { body: '{"url": "https://a.example",' });
    expect(json.status).toBe(400);
    expect(json.json.error).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/^Body is not valid JSON/) });
    const array = await s.call('POST', '/v1/jobs', { body: [] });
    expect(array.status).toBe(400);
    expect(array.json.error.message).toBe('Body: must be a JSON object');
    const plain = await s.call('POST', '/v1/jobs', { body: 'url=x', headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(400);
    expect(plain.json.error.message).toBe('Body: must be a JSON object');
    const text = await s.call('POST', '/v1/jobs', { body: '<job/>', headers: { 'content-type': 'application/xml' } });
    expect(text.status).toBe(415);
    expect(text.json.error).toMatchObject({ code: 'unsupported_media_type', message: expect.stringContaining('application/json') });
    const empty = await s.call('POST', '/v1/jobs', { body: '', headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
    expect(empty.json.error.message).toContain('empty');
    expect(await jobCount()).toBe(before);
  });

  it('answer a body over the limit with 413', async () => {
    const res = await s.call('POST', '/v1/jobs', { body: { url: 'https://a.example', scheduled_at: soon(), body: 'x'.repeat(20_000) } });
    expect(res.status).toBe(413);
    expect(res.json.error).toMatchObject({ code: 'payload_too_large', message: 'Request body is larger than 16384 bytes' });
  });

  it.each([
    ['a missing url', { scheduled_at: 'SOON' }, 'url: is required'],
    ['a missing scheduled_at', { url: 'https://a.example' }, 'scheduled_at: is required'],
    ['a url that is not a string', { url: 5, scheduled_at: 'SOON' }, 'url: must be a string'],
    ['max_retries as a string', { url: 'https://a.example', scheduled_at: 'SOON', max_retries: '3' }, 'max_retries: must be a number'],
    ['headers that are not an object', { url: 'https://a.example', scheduled_at: 'SOON', headers: 'x' }, 'headers: must be an object of header names to string values'],
    ['a header value that is not a string', { url: 'https://a.example', scheduled_at: 'SOON', headers: { 'X-N': 1 } }, 'headers.X-N: header values must be strings'],
    ['an unknown field (Tock\'s own name for http_method)', { url: 'https://a.example', scheduled_at: 'SOON', method: 'GET' }, 'Unknown field: method'],
  ])('answer %s with 400 naming the field', async (_what, body, message) => {
    const before = await jobCount();
    const res = await s.call('POST', '/v1/jobs', { body: JSON.parse(JSON.stringify(body).replace('"SOON"', JSON.stringify(soon()))) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { code: 'invalid_argument', message } });
    expect(await jobCount()).toBe(before);
  });

  it.each([
    ['an unknown http_method, in the document\'s field name', { http_method: 'FETCH' }, 'invalid_argument', 'http_method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD'],
    ['too many retries', { max_retries: 50 }, 'invalid_argument', 'max_retries: must be at most 20'],
    ['fractional retries', { max_retries: 1.5 }, 'invalid_argument', 'max_retries: must be an integer'],
    ['a url that is not http(s)', { url: 'ftp://files.example/x' }, 'invalid_url', "Invalid URL 'ftp://files.example/x': scheme 'ftp' is not allowed (use http or https)"],
    ['a url that is not absolute', { url: '/api/charge' }, 'invalid_url', "Invalid URL '/api/charge': not an absolute URL (expected e.g. https://example.com/hook)"],
    ['credentials in the url', { url: 'https://u:p@a.example/' }, 'invalid_url', 'credentials in the URL are not allowed'],
    ['a webhook_url that is not http(s)', { webhook_url: 'mailto:ops@a.example' }, 'invalid_url', "scheme 'mailto' is not allowed"],
    ['a scheduled_at that is not a date', { scheduled_at: 'next tuesday' }, 'invalid_argument', "scheduled_at: 'next tuesday' is not a date"],
    ['a scheduled_at years ahead', { scheduled_at: '2099-01-01T00:00:00Z' }, 'invalid_argument', 'scheduled_at: must be within 5 years from now'],
    ['a header the HTTP client sets', { headers: { 'Content-Length': '3' } }, 'invalid_argument', 'headers.Content-Length: is set by the HTTP client; remove this header'],
    ['an empty idempotency_key', { idempotency_key: '' }, 'invalid_argument', 'idempotency_key: must not be empty'],
  ])('answer %s with 400 and what to fix', async (_what, change, code, message) => {
    const before = await jobCount();
    const res = await s.call('POST', '/v1/jobs', { body: { url: 'https://a.example/run', scheduled_at: soon(), ...change } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toContain(message);
    expect(await jobCount()).toBe(before);
  });

  it.each([
    ['no cron', { url: 'https://a.example' }, 'invalid_argument', 'cron: is required'],
    ['a cron of one word', { url: 'https://a.example', cron: 'daily' }, 'invalid_cron', 'expected 5 parts: minute hour day-of-month month day-of-week, in UTC; got 1'],
    ['a cron out of range', { url: 'https://a.example', cron: '0 25 * * *' }, 'invalid_cron', "Invalid cron expression: '0 25 * * *'"],
    ['a time zone (Fliq schedules are UTC)', { url: 'https://a.example', cron: '0 8 * * *', timezone: 'Europe/Riga' }, 'invalid_argument', 'Unknown field: timezone'],
    ['a schedule url that is not http(s)', { url: 'file:///etc/passwd', cron: '0 8 * * *' }, 'invalid_url', "scheme 'file' is not allowed"],
  ])('answer a schedule with %s with 400', async (_what, body, code, message) => {
    const res = await s.call('POST', '/v1/schedules', { body });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toContain(message);
    expect((await s.t.core.schedules.list(s.admin.actor)).items).toHaveLength(0);
  });
});

describe('bad query parameters', () => {
  it.each([
    ['/v1/jobs?status=running', 'invalid_argument', 'query parameter status: must be one of scheduled, success, failed, cancelled'],
    ['/v1/jobs?limit=0', 'invalid_argument', 'query parameter limit: must be a whole number from 1 to 100'],
    ['/v1/jobs?limit=ten', 'invalid_argument', 'query parameter limit: must be a whole number from 1 to 100'],
    ['/v1/jobs?limit=2.5', 'invalid_argument', 'query parameter limit: must be a whole number from 1 to 100'],
    ['/v1/schedules?limit=-1', 'invalid_argument', 'query parameter limit: must be a whole number from 1 to 100'],
    ['/v1/jobs?cursor=bm9wZQ', 'invalid_cursor', 'Invalid cursor: pass back the next_cursor of the previous page unchanged'],
    ['/v1/schedules?cursor=%00', 'invalid_cursor', 'Invalid cursor: pass back the next_cursor of the previous page unchanged'],
    ['/v1/jobs?state=active', 'invalid_argument', 'Unknown field: state'],
  ])('GET %s answers 400 %s', async (path, code, message) => {
    const res = await s.call('GET', path);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { code, message } });
  });
});

describe('keys and scopes', () => {
  it('answer 401 without a key or with an unknown one, and take X-API-Key as well as Bearer', async () => {
    const none = await s.call('GET', '/v1/jobs', { key: null });
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('unauthenticated');
    expect((await s.call('POST', '/v1/jobs', { key: 'tock_not_a_key', body: { url: 'https://a.example', scheduled_at: soon() } })).status).toBe(401);
    const viaHeader = await s.call('GET', '/v1/schedules', { key: null, headers: { 'x-api-key': s.admin.secret } });
    expect(viaHeader.status).toBe(200);
  });

  it('answer 403 to a read-only key on every write, and let it read', async () => {
    const reader = await s.keyWith(s.admin, ['read:jobs']);
    const job = (await s.call('POST', '/v1/jobs', { body: { url: 'https://a.example', scheduled_at: soon() } })).json;
    const schedule = (await s.call('POST', '/v1/schedules', { body: { url: 'https://a.example', cron: '0 8 * * *' } })).json;
    const writes: Array<[string, string, unknown]> = [
      ['POST', '/v1/jobs', { url: 'https://a.example', scheduled_at: soon() }],
      ['DELETE', `/v1/jobs/${job.id}`, undefined],
      ['POST', '/v1/schedules', { url: 'https://a.example', cron: '0 8 * * *' }],
      ['DELETE', `/v1/schedules/${schedule.id}`, undefined],
    ];
    for (const [method, path, body] of writes) {
      const res = await s.call(method, path, { key: reader, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json.error).toEqual({ code: 'permission_denied', message: "This key lacks the 'write:jobs' scope" });
    }
    expect((await s.call('GET', `/v1/jobs/${job.id}`, { key: reader })).json.status).toBe('scheduled');
    expect((await s.call('GET', `/v1/schedules/${schedule.id}`, { key: reader })).json.status).toBe('active');
    expect((await s.call('GET', `/v1/jobs/${job.id}/executions`, { key: reader })).json).toEqual({ executions: [] });
    await s.call('DELETE', `/v1/schedules/${schedule.id}`);
  });
});

describe('another tenant', () => {
  it("answers 404 for another account's job and schedule on every path, and changes nothing", async () => {
    const job = await s.t.core.jobs.create(other.actor, { url: 'https://other.example/run', scheduledAt: soon() });
    const schedule = await s.t.core.schedules.create(other.actor, { url: 'https://other.example/cron', cron: '0 8 * * *' });
    for (const [method, path] of [
      ['GET', `/v1/jobs/${job.id}`],
      ['DELETE', `/v1/jobs/${job.id}`],
      ['GET', `/v1/jobs/${job.id}/executions`],
      ['GET', `/v1/schedules/${schedule.id}`],
      ['DELETE', `/v1/schedules/${schedule.id}`],
    ]) {
      const res = await s.call(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.error.code).toBe('not_found');
    }
    expect(ids((await s.call('GET', '/v1/jobs?limit=100')).json.jobs)).not.toContain(job.id);
    expect(ids((await s.call('GET', '/v1/schedules?limit=100')).json.schedules)).not.toContain(schedule.id);
    expect((await s.t.core.jobs.get(other.actor, job.id)).status).toBe('scheduled');
    expect((await s.t.core.schedules.get(other.actor, schedule.id)).state).toBe('active');
  });

  it('answers 404 for ids of the wrong kind or shape, not 400 or 500', async () => {
    for (const path of ['/v1/jobs/sched_01hx', '/v1/jobs/%E2%9C%93', `/v1/jobs/${'x'.repeat(90)}/executions`, '/v1/schedules/job_01hx']) {
      const res = await s.call('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.json.error.code).toBe('not_found');
    }
  });
});

function ids(list: Array<{ id: string }>): string[] {
  return list.map((x) => x.id);
}
