import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RateLimitedError } from '../../../server/core/errors.js';
import {
  AuthenticationError,
  ConnectionError,
  createClient,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  type TockClient,
} from '../../../client/src/index.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { recordingFetch, startTrpcServer, type TrpcServer } from './harness.js';

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

/** A raw tRPC query without the client, to see the wire. */
async function rawQuery(path: string, headers: Record<string, string> = {}, input: unknown = {}) {
  const res = await fetch(`${srv.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { error?: { message: string; data: Record<string, unknown> }; result?: unknown } };
}

describe('authentication over tRPC', () => {
  it('answers 401 unauthenticated to a request without a key', async () => {
    const { status, body } = await rawQuery('schedules.list');
    expect(status).toBe(401);
    expect(body.error?.data).toMatchObject({ code: 'UNAUTHORIZED', tockCode: 'unauthenticated', httpStatus: 401, field: null });
    expect(body.error?.message).toMatch(/Missing or invalid API key/);
  });

  it('accepts the key as a Bearer token or as X-API-Key', async () => {
    expect((await rawQuery('schedules.list', { authorization: `Bearer ${a.secret}` })).status).toBe(200);
    expect((await rawQuery('schedules.list', { 'x-api-key': a.secret })).status).toBe(200);
    expect((await rawQuery('schedules.list', { authorization: `Basic ${a.secret}` })).status).toBe(401);
  });

  it('throws AuthenticationError for an unknown key', async () => {
    const err = await srv.client('tock_not_a_real_key').schedules.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ code: 'unauthenticated', status: 401 });
  });

  it('checks the key before the input, so unauthenticated callers learn nothing from validation', async () => {
    const { status } = await rawQuery('schedules.get', {}, { id: 42 });
    expect(status).toBe(401);
  });

  it('throws PermissionError when a read-only key writes, and lets it read', async () => {
    const { secret } = await t.core.keys.createUnchecked({ accountId: a.principal.accountId, scopes: ['read:jobs'] });
    const readOnly = srv.client(secret);
    await expect(readOnly.schedules.list()).resolves.toMatchObject({ nextPageToken: null });
    const err = await readOnly.schedules.create({ url: 'https://example.com', intervalSeconds: 60 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionError);
    expect(err).toMatchObject({ code: 'permission_denied', status: 403, message: "This key lacks the 'write:jobs' scope" });
    await expect(readOnly.monitors.list()).rejects.toBeInstanceOf(PermissionError);
    await expect(readOnly.projects.list()).rejects.toBeInstanceOf(PermissionError);
  });
});

describe('errors over tRPC', () => {
  it('answers an unexpected failure with a bare internal error and logs the cause', async () => {
    const spy = vi.spyOn(t.core.schedules, 'list').mockRejectedValueOnce(new Error('password=hunter2 in the connection string'));
    const err = await tock.schedules.list().catch((e: unknown) => e);
    spy.mockRestore();
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ code: 'internal', status: 500, message: 'internal error' });
    expect(JSON.stringify(err)).not.toContain('hunter2');
    const line = srv.logs.find((l) => l.msg === 'unhandled error in tRPC procedure');
    expect(line?.obj).toMatchObject({ path: 'schedules.list', err: expect.objectContaining({ message: 'password=hunter2 in the connection string' }) });
  });

  it('does not leak the cause of an internal error onto the wire', async () => {
    const spy = vi.spyOn(t.core.jobs, 'list').mockRejectedValueOnce(new TypeError('secret internals'));
    const { status, body } = await rawQuery('jobs.list', { authorization: `Bearer ${a.secret}` });
    spy.mockRestore();
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('secret internals');
    expect(body.error?.data).toMatchObject({ tockCode: 'internal', code: 'INTERNAL_SERVER_ERROR' });
  });

  it('maps rate limiting to RateLimitError with the wait, and a Retry-After header', async () => {
    const spy = vi.spyOn(t.core.monitors, 'list').mockRejectedValue(new RateLimitedError(2_500));
    const err = await tock.monitors.list().catch((e: unknown) => e);
    const raw = await rawQuery('monitors.list', { authorization: `Bearer ${a.secret}` });
    spy.mockRestore();
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 2_500 });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('3');
  });

  it('answers NotFound for a procedure that does not exist and for paths outside the prefix', async () => {
    const { status, body } = await rawQuery('schedules.explode', { authorization: `Bearer ${a.secret}` });
    expect(status).toBe(404);
    expect(body.error?.data).toMatchObject({ tockCode: 'not_found' });

    // Paths outside the prefix never reach tRPC: the HTTP app answers them.
    for (const path of ['/rest/schedules.list', '/trpc']) {
      const res = await fetch(`${srv.url}${path}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: `No route for GET ${path}` } });
    }
  });

  it('refuses a body over 4 MiB with 413 in tRPC error shape and keeps serving', async () => {
    const post = (body: string) =>
      fetch(`${srv.url}/trpc/schedules.create`, { method: 'POST', headers: { authorization: `Bearer ${a.secret}`, 'content-type': 'application/json' }, body });
    const big = await post(JSON.stringify({ url: 'https://example.com/big', intervalSeconds: 60, body: 'x'.repeat(4 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { data: Record<string, unknown> } }).error.data).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 });
    // Just under the limit the body is read and judged by the core, not by its size.
    const under = await post(JSON.stringify({ url: 'https://example.com/big', intervalSeconds: 60, body: 'x'.repeat(3 * 1024 * 1024) }));
    expect(under.status).not.toBe(413);
    await under.body?.cancel();
    expect((await tock.schedules.list()).items).toBeDefined();
  });

  it('labels the error of a request tRPC cannot read as JSON', async () => {
    const res = await fetch(`${srv.url}/trpc/schedules.create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.secret}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as { error: { data: Record<string, unknown> } }).error.data).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('answers TRACE, which the fetch API tRPC reads requests with refuses, 404 without an internal error', async () => {
    const logged = srv.logs.length;
    const res = await request(`${srv.url}/trpc/schedules.list`, { method: 'TRACE', headers: { authorization: `Bearer ${a.secret}` } });
    expect(res.statusCode).toBe(404);
    expect(await res.body.json()).toEqual({ error: { code: 'not_found', message: 'No route for TRACE /trpc/schedules.list' } });
    expect(srv.logs.length).toBe(logged);
  });

  it('batches calls made together into one request, each with its own result or error', async () => {
    const { fetch, urls } = recordingFetch();
    const client = srv.client(a.secret, { fetch });
    const s = await tock.schedules.create({ url: 'https://example.com/b', intervalSeconds: 60 });
    const [ok, missing, list] = await Promise.allSettled([
      client.schedules.get(s.id),
      client.schedules.get('sched_00000000000000000000000000'),
      client.jobs.list(),
    ]);
    expect(urls).toHaveLength(1);
    expect(urls[0]).toContain('schedules.get,schedules.get,jobs.list');
    expect(ok).toMatchObject({ status: 'fulfilled', value: { id: s.id } });
    expect(missing).toMatchObject({ status: 'rejected', reason: expect.any(NotFoundError) });
    expect(list.status).toBe('fulfilled');
  });

  it('throws ConnectionError when no server answers', async () => {
    const closed = await startTrpcServer(t);
    await closed.close();
    const err = await createClient({ url: closed.url, apiKey: a.secret }).schedules.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'connection_failed', status: 0 });
  });
});
