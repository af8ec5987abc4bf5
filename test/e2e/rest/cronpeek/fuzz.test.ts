import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore, type TestCore, type TestTenant } from '../../../helpers/core.js';
import { call, PUBLIC_URL, startCronpeekServer, type CronpeekServer } from './harness.js';

/**
 * Property test: every CronPeek endpoint driven with generated bodies (the document's fields with
 * any JSON value, at and past their limits, unknown and prototype-named fields, text that is not
 * JSON), path segments and key headers, through a real port. Every answer is below 500, in the
 * dialect's error shape when it is an error, and nothing is logged as an internal error.
 * TOCK_FUZZ_SEED replays a failure fast-check reports; TOCK_FUZZ_RUNS runs longer.
 */
const SEED = Number(process.env.TOCK_FUZZ_SEED ?? 20_261_201);
const RUNS = Number(process.env.TOCK_FUZZ_RUNS ?? 300);

let t: TestCore;
let server: CronpeekServer;
let a: TestTenant;
let monitorId: string;
let token: string;
const seen = new Map<number, number>();

beforeAll(async () => {
  t = await createTestCore({ publicUrl: PUBLIC_URL, monitorLimit: 50 });
  server = await startCronpeekServer(t, { openSignup: true });
  a = await t.tenant('fuzz');
  const m = await t.core.monitors.create(a.actor, { name: 'fuzzed', periodSeconds: 3600 });
  monitorId = m.id;
  token = m.pingToken;
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ minLength: 190, maxLength: 400 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', 'x@example.com', 'https://hooks.example.com/x', 'ftp://x', 'http://127.0.0.1/', '__proto__', 'constructor'),
);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 59, 60, 61, 2_592_000, 2_592_001, 31_622_400, 31_622_401, 2 ** 53, 1e308),
);
const value = fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.array(fc.oneof(text, number), { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 2 }));
const field = fc.constantFrom('name', 'schedule', 'grace', 'alertEmail', 'alertWebhook', 'email', 'pingCount', 'monitorId', '__proto__', 'constructor', 'toString');
/** Bodies the dialect should take, often enough that the run also creates, updates and signs up. */
const valid = fc.oneof(
  fc
    .record(
      {
        name: fc.string({ minLength: 1, maxLength: 60 }),
        schedule: fc.integer({ min: 60, max: 31_622_400 }),
        grace: fc.option(fc.integer({ min: 60, max: 2_592_000 })),
        alertEmail: fc.option(fc.emailAddress()),
        alertWebhook: fc.option(fc.webUrl({ validSchemes: ['https'] })),
      },
      { requiredKeys: ['name', 'schedule'] },
    )
    .map((o) => JSON.stringify(o)),
  fc.emailAddress().map((email) => JSON.stringify({ email })),
);
const body = fc.oneof(
  { arbitrary: valid, weight: 4 },
  fc.dictionary(field, value, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  fc.record({ name: text, schedule: number }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  // Prototype-named keys spelt into the text (JSON.stringify drops an own __proto__ set by assignment).
  fc.constantFrom('{"__proto__": {"schedule": 60}, "name": "x", "schedule": 60}', '{"constructor": {"prototype": {}}}', '[]', '"x"', '1', 'null', '{', ''),
  text,
);
const segment = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom('%00', '%E0%A4%A', '..', '%2F', 'mon_' + '0'.repeat(26), 'a'.repeat(120)),
);
const keyHeader = fc.oneof(
  fc.constant<Record<string, string>>({}),
  fc.string({ maxLength: 60 }).filter((s) => /^[\x21-\x7e]*$/.test(s)).map((k) => ({ 'x-api-key': k })),
  fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s)).map((k) => ({ authorization: k })),
);
const contentType = fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '');

type Target = (id: string) => { method: string; path: string; keyed: boolean };
const targets: Target[] = [
  () => ({ method: 'POST', path: '/api/v1/monitors', keyed: true }),
  () => ({ method: 'POST', path: '/api/v1/accounts', keyed: false }),
  () => ({ method: 'PATCH', path: `/api/v1/monitors/${monitorId}`, keyed: true }),
  () => ({ method: 'PUT', path: `/api/v1/monitors/${monitorId}`, keyed: true }),
  (id) => ({ method: 'PATCH', path: `/api/v1/monitors/${id}`, keyed: true }),
  (id) => ({ method: 'GET', path: `/api/v1/monitors/${id}/status`, keyed: true }),
  (id) => ({ method: 'DELETE', path: `/api/v1/monitors/${id}`, keyed: true }),
  (id) => ({ method: 'POST', path: `/api/v1/ping/${id}`, keyed: false }),
  () => ({ method: 'POST', path: `/api/v1/ping/${token}`, keyed: false }),
  () => ({ method: 'GET', path: '/api/v1/monitors', keyed: true }),
];

describe('the CronPeek dialect under generated input', () => {
  it('answers every request below 500, errors in its shape, and logs no internal error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: targets.length - 1 }),
        segment,
        body,
        contentType,
        keyHeader,
        fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
        async (which, id, payload, type, keyHeaders, ownKey) => {
          const target = targets[which](id);
          const headers: Record<string, string> = { ...(target.keyed && ownKey ? { 'x-api-key': a.secret } : keyHeaders) };
          if (type) headers['content-type'] = type;
          const res = await call(`${server.url}${target.path}`, { method: target.method, headers, body: payload });
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          expect(res.status, `${target.method} ${target.path} ${payload.slice(0, 200)} -> ${res.status} ${res.text.slice(0, 300)}`).toBeLessThan(500);
          if (res.status >= 400 && target.path.startsWith('/api/')) {
            // Paths the router cannot take (too long, not decodable) are Tock's own 404: no dialect owns them.
            if (!res.json?.error?.code) expect(res.json).toEqual({ error: expect.any(String) });
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    expect(server.errors).toEqual([]);
    // The run got past validation as well as being refused by it.
    expect([...seen.keys()].filter((s) => s < 300).length).toBeGreaterThan(0);
    expect(seen.get(400) ?? 0).toBeGreaterThan(0);
    expect((await call(`${server.url}/api/health`)).status).toBe(200);
  }, 120_000);
});
