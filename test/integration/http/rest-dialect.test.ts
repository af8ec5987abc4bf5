import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildHttpApp } from '../../../server/surfaces/http/app.js';
import { registerDialect, type Dialect } from '../../../server/surfaces/rest/dialect.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

/**
 * What every REST dialect gets from server/surfaces/rest/dialect.ts, shown on a small dialect of
 * this test's own: both key headers, the dialect's error shape for core errors, schema failures,
 * Fastify's client errors and the per-key limit, and a logged bare 500 for anything else.
 */
let t: TestCore;
let a: TestTenant;
let app: FastifyInstance;
const logged: Record<string, unknown>[] = [];

const probe: Dialect = {
  name: 'probe',
  errorBody: (e) => ({ failure: { status: e.status, code: e.code, message: e.message, field: e.field } }),
  routes(r, ctx) {
    r.get('/probe/whoami', async (req) => ({ project: (await ctx.actor(req)).projectId }));
    r.post(
      '/probe/things',
      { schema: { body: z.object({ name: z.string().max(10), count: z.number().int().optional() }).strict() } },
      async (req) => ({ name: req.body.name }),
    );
    r.get('/probe/schedules/:id', async (req) => ctx.core.schedules.get(await ctx.actor(req), (req.params as { id: string }).id));
    r.get('/probe/boom', async () => {
      throw new TypeError('secret-column');
    });
  },
};

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'error' }, sink);
  app = await buildHttpApp({
    core: t.core,
    db: t.database.db,
    logger,
    mode: 'postgres',
    mount: (root) => registerDialect(root, probe, { core: t.core, logger, limits: { ratePerKey: 5, bodyLimit: 200, rateLimitKeys: 100 } }),
  });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('a REST dialect', () => {
  it('takes the key as a Bearer token or as X-API-Key, and answers 401 in its own shape without one', async () => {
    for (const headers of [{ authorization: `Bearer ${a.secret}` }, { 'x-api-key': a.secret }]) {
      const res = await app.inject({ method: 'GET', url: '/probe/whoami', headers });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ project: a.projectId });
    }
    const none = await app.inject({ method: 'GET', url: '/probe/whoami', headers: { 'x-forwarded-for': '10.9.9.9' } });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ failure: { status: 401, code: 'unauthenticated' } });
  });

  it('answers a core error with its category status, a schema failure and bad JSON with 400, a big body with 413', async () => {
    // Each test acts with a key of its own: the per-key limit (5 a minute here) counts per key.
    const auth = { authorization: `Bearer ${(await t.tenant('errors')).secret}` };
    const missing = await app.inject({ method: 'GET', url: '/probe/schedules/sched_nope', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().failure).toMatchObject({ code: 'not_found' });

    const bad = await app.inject({ method: 'POST', url: '/probe/things', headers: auth, payload: { name: 'x'.repeat(11) } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().failure).toMatchObject({ code: 'invalid_argument', field: 'name' });
    expect(bad.json().failure.message).toMatch(/^name: /);

    const unknown = await app.inject({ method: 'POST', url: '/probe/things', headers: auth, payload: { name: 'a', colour: 'red' } });
    expect(unknown.json().failure).toMatchObject({ status: 400, field: 'colour', message: 'Unknown field: colour' });

    const json = await app.inject({ method: 'POST', url: '/probe/things', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(json.statusCode).toBe(400);
    expect(json.json().failure.message).toMatch(/JSON/);

    const big = await app.inject({ method: 'POST', url: '/probe/things', headers: auth, payload: { name: 'a', pad: 'x'.repeat(300) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().failure).toMatchObject({ code: 'payload_too_large' });
  });

  it('logs an unexpected error and answers a bare 500 in its shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/probe/boom', headers: { authorization: `Bearer ${(await t.tenant('boom')).secret}` } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ failure: { status: 500, code: 'internal', message: 'internal error', field: null } });
    expect(res.body).not.toContain('secret-column');
    expect(logged.some((l) => l.msg === 'unhandled error in REST handler')).toBe(true);
  });

  it('limits requests per key with 429 and Retry-After in its shape, other keys unaffected', async () => {
    const other = await t.tenant('other');
    let limited: Awaited<ReturnType<FastifyInstance['inject']>> | null = null;
    for (let i = 0; i < 10 && !limited; i++) {
      const res = await app.inject({ method: 'GET', url: '/probe/whoami', headers: { 'x-api-key': other.secret } });
      if (res.statusCode === 429) limited = res;
    }
    expect(limited).not.toBeNull();
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited!.json().failure).toMatchObject({ status: 429, code: 'rate_limited' });
    const third = await t.tenant('third');
    expect((await app.inject({ method: 'GET', url: '/probe/whoami', headers: { 'x-api-key': third.secret } })).statusCode).toBe(200);
  });
});
