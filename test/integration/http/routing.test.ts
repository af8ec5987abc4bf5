import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../../server/surfaces/http/app.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

/**
 * The Fastify app of the HTTP port, driven through `inject()` (no socket): routing answers,
 * HEAD, the root error handler that mounted plugins inherit, and what it logs.
 */
let t: TestCore;
let a: TestTenant;
let app: FastifyInstance;
const logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  app = await buildHttpApp({
    core: t.core,
    db: t.database.db,
    logger: pino({ level: 'error' }, sink),
    mode: 'postgres',
    // A mounted plugin with Fastify's own JSON parser, as the REST dialects will have.
    mount: async (root) => {
      root.post('/echo', async (req) => ({ got: req.body }));
      root.get('/boom', async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'secret-column')");
      });
    },
  });
});
afterAll(async () => {
  await app.close();
  await t.close();
});

describe('routing', () => {
  it('answers an unknown path with 404 naming the method and path', async () => {
    const res = await app.inject({ method: 'GET', url: '/x?y=1' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /x' } });
    // The body of a request for no route does not change the answer.
    const post = await app.inject({ method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload: '{bad' });
    expect(post.json()).toEqual({ error: { code: 'not_found', message: 'No route for POST /x' } });
  });

  it('answers a known path under another method with 405 and the allowed methods, before reading the body', async () => {
    const res = await app.inject({ method: 'PUT', url: '/healthz', headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.json()).toEqual({ error: { code: 'method_not_allowed', message: 'PUT is not allowed on /healthz (allowed: GET, HEAD)' } });
    expect((await app.inject({ method: 'GET', url: '/signup' })).statusCode).toBe(405);
    expect((await app.inject({ method: 'DELETE', url: '/ping/abc/start' })).headers.allow).toBe('GET, POST, HEAD');
  });

  it('answers HEAD on a ping with 200, no body, and records the ping', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    const res = await app.inject({ method: 'HEAD', url: `/ping/${m.pingToken}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    expect((await t.core.monitors.get(a.actor, m.id)).pingCount).toBe(1);
    expect((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
  });

  it('takes a ping body of any content type, even one that is not the JSON it claims', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    for (const type of ['application/json', 'application/x-www-form-urlencoded', 'application/octet-stream', undefined]) {
      const res = await app.inject({ method: 'POST', url: `/ping/${m.pingToken}`, headers: type ? { 'content-type': type } : {}, payload: '{not json' });
      expect(res.statusCode, String(type)).toBe(200);
    }
    expect((await t.core.monitors.get(a.actor, m.id)).pingCount).toBe(4);
  });

  it('treats a path that does not decode, or a token longer than any, as no route', async () => {
    expect((await app.inject({ method: 'GET', url: '/ping/%E0%A4%A' })).json().error.code).toBe('not_found');
    const long = await app.inject({ method: 'GET', url: `/ping/${'a'.repeat(500)}` });
    expect(long.statusCode).toBe(404);
    expect(long.json().error.code).toBe('not_found');
  });
});

describe('the root error handler', () => {
  it('answers malformed JSON with 400 in the error shape', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a": ' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'invalid_argument', message: "Body is not valid JSON but content-type is set to 'application/json'" } });
    const ok = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a": 1}' });
    expect(ok.json()).toEqual({ got: { a: 1 } });
  });

  it('refuses a prototype-poisoning JSON body with 400', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"__proto__": {"admin": true}}' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_argument');
  });

  it('answers a body over the limit with 413 and closes the connection', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ s: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(res.statusCode).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(res.json()).toEqual({ error: { code: 'payload_too_large', message: 'Request body is larger than 1048576 bytes' } });
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: { code: 'unsupported_media_type', message: "Unsupported Content-Type 'application/xml'" } });
  });

  it('answers an unexpected error with a bare 500 and logs it with the path', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(res.body).not.toContain('secret-column');
    const line = logged.find((l) => l.msg === 'unhandled error in HTTP handler');
    expect(line).toMatchObject({ path: '/boom', method: 'GET', err: { type: 'TypeError' } });
  });
});
