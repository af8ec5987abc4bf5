import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ping, RateLimitError } from '../../../client/src/index.js';
import { createLogger } from '../../../server/logger.js';
import { startHttpServer, type RunningHttpServer } from '../../../server/surfaces/http/server.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

/**
 * Rate limits of unauthenticated traffic on a listening port: pings per token and per client
 * address, sign-ups per address. Each client address is a loopback address of its own
 * (127.0.0.x), so the tests are also about limits being per address.
 */
const PER_TOKEN = 3;
const PER_IP = 8;
const SIGNUPS = 2;

let t: TestCore;
let a: TestTenant;
let http: RunningHttpServer;
let base: string;
const agents: Agent[] = [];

/** A client whose connections come from `127.0.0.<n>`. */
function from(n: number) {
  const agent = new Agent({ localAddress: `127.0.0.${n}` });
  agents.push(agent);
  return async (method: 'GET' | 'POST' | 'HEAD', path: string, body?: string) => {
    const res = await request(`${base}${path}`, { method, body, dispatcher: agent, headers: body ? { 'content-type': 'application/json' } : {} });
    const text = await res.body.text();
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: text ? (JSON.parse(text) as Record<string, any>) : null };
  };
}

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant();
  http = await startHttpServer({
    core: t.core,
    db: t.database.db,
    logger: createLogger('silent'),
    port: 0,
    host: '127.0.0.1',
    mode: 'postgres',
    openSignup: true,
    limits: { pingRatePerToken: PER_TOKEN, pingRatePerIp: PER_IP, signupRatePerIp: SIGNUPS },
  });
  base = `http://127.0.0.1:${http.port}`;
});
afterAll(async () => {
  await Promise.all(agents.map((ag) => ag.close()));
  await http?.close();
  await t?.close();
});

const pingCount = async (id: string) => (await t.core.monitors.get(a.actor, id)).pingCount;

describe('ping rate limits', () => {
  it('answer the ping past the per-token limit with 429 and Retry-After, and do not record it', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    const client = from(2);
    // Every kind of ping and HEAD count against the same token.
    for (const [method, path] of [['GET', ''], ['POST', '/start'], ['HEAD', '']] as const) {
      expect((await client(method, `/ping/${m.pingToken}${path}`)).status).toBe(200);
    }
    const over = await client('GET', `/ping/${m.pingToken}/fail`);
    expect(over.status).toBe(429);
    expect(Number(over.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(over.retryAfter)).toBeLessThanOrEqual(60);
    expect(over.body).toEqual({
      error: { code: 'rate_limited', message: `Too many pings for this token: at most ${PER_TOKEN} a minute; retry in ${over.retryAfter} s` },
    });
    expect(await pingCount(m.id)).toBe(PER_TOKEN);
    // The refused fail ping did not turn the monitor down.
    expect((await t.core.monitors.get(a.actor, m.id)).status).toBe('up');
    // The token is limited for everyone, whatever their address; the client's ping says when to retry.
    expect((await from(3)('GET', `/ping/${m.pingToken}`)).status).toBe(429);
    const err = await ping(`${base}/ping/${m.pingToken}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(await pingCount(m.id)).toBe(PER_TOKEN);
  });

  it('count pings by ping key per monitor key and exit-status pings per token', async () => {
    const pingKey = await t.core.projects.getPingKey(a.principal, a.projectId);
    const one = await t.core.monitors.create(a.actor, { key: 'limited-one', periodSeconds: 60 });
    const other = await t.core.monitors.create(a.actor, { key: 'limited-other', periodSeconds: 60 });
    const client = from(6);
    for (const path of ['', '/start', '/0']) expect((await client('GET', `/ping/${pingKey}/limited-one${path}`)).status).toBe(200);
    const over = await client('GET', `/ping/${pingKey}/limited-one/1`);
    expect(over.status).toBe(429);
    expect(over.body?.error.message).toBe(`Too many pings for this token: at most ${PER_TOKEN} a minute; retry in ${over.retryAfter} s`);
    expect(await pingCount(one.id)).toBe(PER_TOKEN);
    // Another monitor of the same ping key has its own bucket, from any address.
    expect((await from(7)('GET', `/ping/${pingKey}/limited-other`)).status).toBe(200);
    expect(await pingCount(other.id)).toBe(1);
    // Exit-status pings by token share the token's bucket with the other signals.
    const byToken = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    const c8 = from(8);
    for (const path of ['/0', '/start', '/2']) expect((await c8('GET', `/ping/${byToken.pingToken}${path}`)).status).toBe(200);
    expect((await c8('GET', `/ping/${byToken.pingToken}/0`)).status).toBe(429);
    expect(await pingCount(byToken.id)).toBe(PER_TOKEN);
  });

  it('answer pings from one address over many tokens with 429 past the per-address limit, and not other addresses', async () => {
    const monitors = await Promise.all(Array.from({ length: PER_IP + 1 }, () => t.core.monitors.create(a.actor, { periodSeconds: 60 })));
    const client = from(4);
    for (const m of monitors.slice(0, PER_IP)) expect((await client('GET', `/ping/${m.pingToken}`)).status).toBe(200);
    const last = monitors[PER_IP];
    const over = await client('GET', `/ping/${last.pingToken}`);
    expect(over.status).toBe(429);
    expect(over.retryAfter).toBeDefined();
    expect(over.body?.error.message).toMatch(new RegExp(`^Too many pings from this address: at most ${PER_IP} a minute; retry in \\d+ s$`));
    expect(await pingCount(last.id)).toBe(0);
    // Unknown tokens count too: they are how a flood from one address would look.
    expect((await client('GET', `/ping/${'z'.repeat(24)}`)).status).toBe(429);
    expect((await from(5)('GET', `/ping/${last.pingToken}`)).status).toBe(200);
    expect(await pingCount(last.id)).toBe(1);
  });
});

describe('sign-up rate limit', () => {
  it('answers sign-ups from one address past the hourly limit with 429 and creates no account', async () => {
    const client = from(6);
    for (let i = 0; i < SIGNUPS; i++) {
      expect((await client('POST', '/signup', JSON.stringify({ email: `s${i}@example.com` }))).status).toBe(201);
    }
    const over = await client('POST', '/signup', JSON.stringify({ email: 'over@example.com' }));
    expect(over.status).toBe(429);
    expect(Number(over.retryAfter)).toBeGreaterThan(60);
    expect(Number(over.retryAfter)).toBeLessThanOrEqual(3_600);
    expect(over.body?.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/^Too many sign-ups from this address: at most 2 an hour; retry in \d+ s$/) });
    // The refused one made nothing: the same email signs up from another address.
    expect((await from(7)('POST', '/signup', JSON.stringify({ email: 'over@example.com' }))).status).toBe(201);
  });
});

describe('the limiter memory', () => {
  it('remembers at most the configured number of keys, forgetting the least recently seen first', async () => {
    const core = await createTestCore();
    const tenant = await core.tenant();
    const small = await startHttpServer({
      core: core.core,
      db: core.database.db,
      logger: createLogger('silent'),
      port: 0,
      host: '127.0.0.1',
      mode: 'postgres',
      limits: { pingRatePerToken: 1, pingRatePerIp: 0, rateLimitKeys: 5 },
    });
    const agent = new Agent();
    const ping = async (token: string) => (await request(`http://127.0.0.1:${small.port}/ping/${token}`, { dispatcher: agent })).statusCode;
    try {
      const m = await core.core.monitors.create(tenant.actor, { periodSeconds: 60 });
      expect(await ping(m.pingToken)).toBe(200);
      expect(await ping(m.pingToken)).toBe(429);
      // Five other tokens push the first out of a five-key memory: it counts from zero again.
      for (let i = 0; i < 5; i++) expect(await ping(`unknown${i}`.padEnd(24, 'x'))).toBe(404);
      expect(await ping(m.pingToken)).toBe(200);
      expect((await core.core.monitors.get(tenant.actor, m.id)).pingCount).toBe(2);
    } finally {
      await agent.close();
      await small.close();
      await core.close();
    }
  });
});
