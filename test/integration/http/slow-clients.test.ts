import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { startHttpServer, type RunningHttpServer } from '../../../server/surfaces/http/server.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

/**
 * Slow and greedy clients on raw sockets against a listening HTTP port with short timeouts: a
 * request that does not arrive in time is answered 408 and its socket closed within the
 * timeout (plus the check interval and some slack for a loaded machine), idle keep-alive
 * sockets are closed, and connections past the cap are closed while the first ones work.
 */
const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 1_000;
const KEEPALIVE_TIMEOUT_MS = 300;
const MAX_CONNECTIONS = 3;
const SLACK_MS = 750;

let t: TestCore;
let a: TestTenant;
/** Short timeouts. */
let http: RunningHttpServer;
/** A small connection cap (and default timeouts, so kept-alive sockets stay open during the test). */
let capped: RunningHttpServer;

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant();
  const base = { core: t.core, db: t.database.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1', mode: 'postgres' } as const;
  http = await startHttpServer({
    ...base,
    limits: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: KEEPALIVE_TIMEOUT_MS },
  });
  capped = await startHttpServer({ ...base, limits: { maxConnections: MAX_CONNECTIONS } });
});
afterAll(async () => {
  for (const s of [http, capped]) {
    s?.server.closeAllConnections();
    await s?.close();
  }
  await t?.close();
});

/** A raw client socket that records what it received and when the server closed it. */
class RawClient {
  readonly socket: Socket;
  readonly openedAt = performance.now();
  received = '';
  /** ms from connect to close, once closed. */
  closedAfter: Promise<number>;
  private writer: NodeJS.Timeout | undefined;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => (this.received += d));
    this.socket.on('error', () => undefined);
    this.closedAfter = new Promise((resolve) =>
      this.socket.once('close', () => {
        clearInterval(this.writer);
        resolve(performance.now() - this.openedAt);
      }),
    );
  }

  connected(): Promise<void> {
    return new Promise((resolve) => (this.socket.readyState === 'open' ? resolve() : this.socket.once('connect', () => resolve())));
  }

  /** Writes `text` one byte per `everyMs`, until done or the socket closes. */
  trickle(text: string, everyMs: number): void {
    let i = 0;
    this.writer = setInterval(() => {
      if (i >= text.length || this.socket.destroyed) return clearInterval(this.writer);
      this.socket.write(text[i++]);
    }, everyMs);
  }

  /** Sends one keep-alive request and resolves with its status once the whole response is in. */
  async request(path: string): Promise<number> {
    const before = this.received.length;
    this.socket.write(`GET ${path} HTTP/1.1\r\nhost: tock.test\r\n\r\n`);
    for (;;) {
      const text = this.received.slice(before);
      const head = /^HTTP\/1\.1 (\d{3})[^]*?\r\n\r\n/.exec(text);
      const length = head && /content-length: (\d+)/i.exec(head[0]);
      if (head && length && text.length >= head[0].length + Number(length[1])) return Number(head[1]);
      await Promise.race([new Promise((resolve) => this.socket.once('data', resolve)), this.closedAfter.then(() => {
        throw new Error(`closed before a response; got ${JSON.stringify(this.received)}`);
      })]);
    }
  }

  status(): number | null {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.received);
    return m ? Number(m[1]) : null;
  }

  body(): unknown {
    return JSON.parse(this.received.slice(this.received.indexOf('\r\n\r\n') + 4));
  }

  destroy(): void {
    clearInterval(this.writer);
    this.socket.destroy();
  }
}

describe('slow clients', () => {
  it('answers headers sent one byte at a time, slower than the header timeout, with 408 and closes the socket in time', async () => {
    const c = new RawClient(http.port);
    // 40 bytes at one per 50 ms: 2 s, five times the header timeout.
    c.trickle('GET /healthz HTTP/1.1\r\nhost: tock.test\r\nx-slow: 1\r\n\r\n', 50);
    const closedAfter = await c.closedAfter;
    expect(c.status()).toBe(408);
    expect(c.body()).toEqual({
      error: {
        code: 'request_timeout',
        message: `The request did not arrive in time: headers within ${HEADERS_TIMEOUT_MS} ms, the whole request within ${REQUEST_TIMEOUT_MS} ms`,
      },
    });
    expect(closedAfter).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('answers a body sent one byte at a time, slower than the request timeout, with 408, and records no ping', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    const c = new RawClient(http.port);
    await c.connected();
    c.socket.write(`POST /ping/${m.pingToken} HTTP/1.1\r\nhost: tock.test\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n`);
    // 100 bytes at one per 50 ms: 5 s, five times the request timeout.
    c.trickle('x'.repeat(100), 50);
    const closedAfter = await c.closedAfter;
    expect(c.status()).toBe(408);
    expect(closedAfter).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expect((await t.core.monitors.get(a.actor, m.id)).pingCount).toBe(0);
  });

  it('answers a connection that sends nothing with 408 within the header timeout', async () => {
    const c = new RawClient(http.port);
    const closedAfter = await c.closedAfter;
    expect(c.status()).toBe(408);
    expect(closedAfter).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout (Node adds one second to what it advertises)', async () => {
    const c = new RawClient(http.port);
    await c.connected();
    expect(await c.request('/healthz')).toBe(200);
    const answeredAt = performance.now() - c.openedAt;
    const idleFor = (await c.closedAfter) - answeredAt;
    // Node keeps the socket 1 s past the advertised `keep-alive: timeout`, so a client that
    // honours the header closes first and never sends into a closing socket.
    expect(idleFor).toBeGreaterThanOrEqual(KEEPALIVE_TIMEOUT_MS - 50);
    expect(idleFor).toBeLessThan(KEEPALIVE_TIMEOUT_MS + 1_000 + SLACK_MS);
  });
});

describe('the connection cap', () => {
  it('closes connections past the cap at once while the open ones keep being served, and takes new ones once a slot frees', async () => {
    const open = Array.from({ length: MAX_CONNECTIONS }, () => new RawClient(capped.port));
    try {
      for (const c of open) {
        await c.connected();
        expect(await c.request('/healthz')).toBe(200);
      }
      const extra = new RawClient(capped.port);
      extra.socket.write('GET /healthz HTTP/1.1\r\nhost: tock.test\r\n\r\n');
      expect(await extra.closedAfter).toBeLessThan(SLACK_MS);
      expect(extra.received).toBe('');

      // The first ones still work.
      for (const c of open) expect(await c.request('/healthz')).toBe(200);

      open[0].destroy();
      await open[0].closedAfter;
      // The server counts the close once its side of the socket is gone: retry until it has.
      let status: number | null = null;
      for (let i = 0; i < 20 && status === null; i++) {
        const next = new RawClient(capped.port);
        status = await next.request('/healthz').catch(() => null);
        next.destroy();
      }
      expect(status).toBe(200);
    } finally {
      for (const c of open) c.destroy();
    }
  });
});
