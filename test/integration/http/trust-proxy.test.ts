import { Agent, request, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../client/src/index.js';
import type { TrustProxy } from '../../../server/config.js';
import { createLogger } from '../../../server/logger.js';
import { startHttpServer, type RunningHttpServer } from '../../../server/surfaces/http/server.js';
import { trpcPlugin } from '../../../server/surfaces/trpc/index.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

/**
 * The client address of a request (ping logs, per-address rate limits) comes from
 * X-Forwarded-For only when TOCK_TRUST_PROXY trusts the peer that sent it. Each client connects
 * from a loopback address of its own (127.0.0.x), which plays the proxy or the direct client.
 */
const PER_IP = 2;

let t: TestCore;
let a: TestTenant;
const servers: RunningHttpServer[] = [];
const agents: Agent[] = [];

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant();
});
afterAll(async () => {
  await Promise.all(agents.map((ag) => ag.close()));
  for (const s of servers) await s.close();
  await t?.close();
});

async function serve(trustProxy?: TrustProxy): Promise<string> {
  const http = await startHttpServer({
    core: t.core,
    db: t.database.db,
    logger: createLogger('silent'),
    port: 0,
    host: '127.0.0.1',
    mode: 'postgres',
    limits: { pingRatePerIp: PER_IP, pingRatePerToken: 0 },
    trustProxy,
    mount: (app) => app.register(trpcPlugin, { prefix: '/trpc', core: t.core, logger: { error: () => {} } }),
  });
  servers.push(http);
  return `http://127.0.0.1:${http.port}`;
}

/** GET `path` over a connection from `127.0.0.<n>`, with `X-Forwarded-For: xff` when given. */
function from(base: string, n: number) {
  const agent = new Agent({ localAddress: `127.0.0.${n}` });
  agents.push(agent);
  return async (path: string, xff?: string): Promise<number> => {
    const res = await request(`${base}${path}`, { dispatcher: agent, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });
    await res.body.text();
    return res.statusCode;
  };
}

async function newMonitor() {
  return t.core.monitors.create(a.actor, { periodSeconds: 3600 });
}

const loggedIps = async (id: string) => (await t.core.monitors.listPings(a.actor, id)).items.map((p) => p.sourceIp);

describe('by default (TOCK_TRUST_PROXY unset)', () => {
  let base: string;
  beforeAll(async () => {
    base = await serve();
  });

  it('logs the connection peer as the ping source, whatever X-Forwarded-For says', async () => {
    const m = await newMonitor();
    expect(await from(base, 11)(`/ping/${m.pingToken}`, '203.0.113.7')).toBe(200);
    expect(await loggedIps(m.id)).toEqual(['127.0.0.11']);
  });

  it('counts every forwarded client of one peer against that peer\'s rate limit', async () => {
    const m = await newMonitor();
    const peer = from(base, 12);
    expect(await peer(`/ping/${m.pingToken}`, '203.0.113.1')).toBe(200);
    expect(await peer(`/ping/${m.pingToken}`, '203.0.113.2')).toBe(200);
    expect(await peer(`/ping/${m.pingToken}`, '203.0.113.3')).toBe(429);
  });
});

describe('with the proxy trusted by address (TOCK_TRUST_PROXY=127.0.0.21,10.0.0.0/8)', () => {
  let base: string;
  beforeAll(async () => {
    base = await serve(['127.0.0.21', '10.0.0.0/8']);
  });

  it('logs the forwarded client as the ping source for requests through the proxy, and the peer otherwise', async () => {
    const m = await newMonitor();
    expect(await from(base, 21)(`/ping/${m.pingToken}`, '203.0.113.7')).toBe(200);
    // A peer outside the list is not a proxy: its X-Forwarded-For is not believed.
    expect(await from(base, 22)(`/ping/${m.pingToken}`, '198.51.100.9')).toBe(200);
    expect(await loggedIps(m.id)).toEqual(['127.0.0.22', '203.0.113.7']);
  });

  it('takes the nearest untrusted address of a chain, so a client cannot pick its address by prepending one', async () => {
    const m = await newMonitor();
    // The client sent "X-Forwarded-For: 192.0.2.66" itself; the proxy appended the address it saw.
    expect(await from(base, 21)(`/ping/${m.pingToken}`, '192.0.2.66, 203.0.113.8')).toBe(200);
    expect(await loggedIps(m.id)).toEqual(['203.0.113.8']);
  });

  it('keys the per-address rate limit on the forwarded client', async () => {
    const m = await newMonitor();
    const proxy = from(base, 21);
    expect(await proxy(`/ping/${m.pingToken}`, '203.0.113.50')).toBe(200);
    expect(await proxy(`/ping/${m.pingToken}`, '203.0.113.50')).toBe(200);
    expect(await proxy(`/ping/${m.pingToken}`, '203.0.113.50')).toBe(429);
    // Another client behind the same proxy has a bucket of its own.
    expect(await proxy(`/ping/${m.pingToken}`, '203.0.113.51')).toBe(200);
  });

  it('gives tRPC pings the forwarded client too', async () => {
    const m = await newMonitor();
    const agent = new Agent({ localAddress: '127.0.0.21' });
    agents.push(agent);
    const client = createClient({
      url: base,
      apiKey: a.secret,
      // The proxy's connection, carrying the client it forwards for.
      fetch: ((input: string, init?: Parameters<typeof undiciFetch>[1]) =>
        undiciFetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), 'x-forwarded-for': '203.0.113.77' }, dispatcher: agent })) as unknown as typeof fetch,
    });
    await client.monitors.recordPing(m.id);
    expect(await loggedIps(m.id)).toEqual(['203.0.113.77']);
  });
});

describe('with a hop count (TOCK_TRUST_PROXY=2)', () => {
  it('trusts that many proxies in front of the port, whoever they are', async () => {
    const base = await serve(2);
    const m = await newMonitor();
    // Peer (hop 0) and the last forwarded address (hop 1) are trusted proxies; the client is the one before.
    expect(await from(base, 31)(`/ping/${m.pingToken}`, '192.0.2.1, 198.51.100.2, 10.1.2.3')).toBe(200);
    expect(await loggedIps(m.id)).toEqual(['198.51.100.2']);
  });
});
