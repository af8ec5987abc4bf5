import http2 from 'node:http2';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GRPC_CONNECTION_LIMITS, startGrpcServer, type GrpcConnectionLimits, type GrpcServer } from '../../../server/surfaces/grpc/server.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';

/**
 * The gRPC port's connection limits, seen from a raw HTTP/2 client on a real socket: what the
 * server advertises, and when it pings, idles out and recycles a connection.
 */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

// One core and database for the file; each test starts its own server on it.
let t: TestCore | null = null;
afterAll(async () => {
  await t?.close();
});

async function serve(connection: Partial<GrpcConnectionLimits> = {}): Promise<GrpcServer> {
  t ??= await createTestCore();
  const server = await startGrpcServer({ core: t.core, database: t.database.db, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), connection });
  cleanups.push(() => server.close(200));
  return server;
}

function connect(server: GrpcServer): http2.ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${server.port}`);
  session.on('error', () => {});
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (session.closed) return resolve();
        session.close(() => resolve());
      }),
  );
  return session;
}

const settled = (s: http2.ClientHttp2Session) => new Promise<void>((resolve) => s.once('remoteSettings', () => resolve()));

/** Milliseconds from now until `s` emits one of `events`; rejects after `withinMs`. */
function first(s: http2.ClientHttp2Session, events: string[], withinMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`none of ${events.join(', ')} within ${withinMs} ms`)), withinMs);
    const done = () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    };
    for (const e of events) s.once(e, done);
  });
}
const goaway = (s: http2.ClientHttp2Session, withinMs: number) => first(s, ['goaway', 'close'], withinMs);

describe('gRPC connection limits', () => {
  it('are explicit: the server advertises its stream cap to every connection', async () => {
    const s = connect(await serve());
    await settled(s);
    expect(s.remoteSettings.maxConcurrentStreams).toBe(GRPC_CONNECTION_LIMITS.maxConcurrentStreams);
    expect(GRPC_CONNECTION_LIMITS).toMatchObject({ keepaliveTimeMs: 120_000, maxConnectionIdleMs: 300_000, maxConnectionAgeMs: 1_800_000 });
  });

  it('pings an open connection every keepalive interval', async () => {
    const s = connect(await serve({ keepaliveTimeMs: 200 }));
    expect(await first(s, ['ping'], 3_000)).toBeGreaterThanOrEqual(100);
  });

  it('sends GOAWAY to a connection that carried no call for the idle limit', async () => {
    const s = connect(await serve({ maxConnectionIdleMs: 300 }));
    await settled(s);
    const after = await goaway(s, 5_000);
    expect(after).toBeGreaterThanOrEqual(200);
  });

  it('recycles a connection at the age limit even while it is in use', async () => {
    const server = await serve({ maxConnectionAgeMs: 400, maxConnectionAgeGraceMs: 200 });
    const s = connect(server);
    await settled(s);
    // Keep the connection busy, so only its age can end it.
    const busy = setInterval(() => {
      if (s.closed || s.destroyed) return;
      const req = s.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc' });
      req.on('error', () => {});
      req.end(Buffer.from([0, 0, 0, 0, 0]));
      req.resume();
    }, 50);
    try {
      const after = await goaway(s, 5_000);
      expect(after).toBeLessThan(3_000);
    } finally {
      clearInterval(busy);
    }
  });
});

