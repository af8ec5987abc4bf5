import { afterEach, describe, expect, it } from 'vitest';
import { HttpExecutor, TargetPolicy, generateSigningSecret, verifySignature } from '../../../server/executor/index.js';
import { type Receiver, startReceiver, untilAny } from './receiver.js';

const LOOPBACK = new TargetPolicy(['127.0.0.1']);

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function receiver(handler: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(handler);
  cleanups.push(() => r.close());
  return r;
}

function executor(options: Partial<ConstructorParameters<typeof HttpExecutor>[0]> = {}): HttpExecutor {
  const ex = new HttpExecutor({ policy: LOOPBACK, ...options });
  cleanups.push(() => ex.close(1000));
  return ex;
}

describe('HttpExecutor against a loopback receiver', () => {
  it('reports a 2xx response as succeeded with its status, body and timing', async () => {
    const r = await receiver((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('pong'));
    const ex = executor();

    const before = Date.now();
    const result = await ex.execute({
      url: `${r.url}/ping?x=1`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tock': 'yes' },
      body: '{"a":1}',
    });

    expect(result).toMatchObject({ outcome: 'succeeded', statusCode: 200, responseBody: 'pong', error: null, retryAfterMs: null });
    expect(result.startedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(result.finishedAt.getTime()).toBeGreaterThanOrEqual(result.startedAt.getTime());
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]).toMatchObject({ method: 'POST', url: '/ping?x=1', body: '{"a":1}' });
    expect(r.requests[0].headers).toMatchObject({ 'content-type': 'application/json', 'x-tock': 'yes', 'user-agent': 'Tock/0.1' });
  });

  it('keeps a caller-supplied user-agent instead of adding its own', async () => {
    const r = await receiver((_req, res) => res.end());
    const result = await executor().execute({ url: r.url, method: 'GET', headers: { 'User-Agent': 'custom/1' } });
    expect(result.outcome).toBe('succeeded');
    expect(r.requests[0].headers['user-agent']).toBe('custom/1');
  });

  it('reports a 500 response as failed with the status in the error', async () => {
    const r = await receiver((_req, res) => res.writeHead(500).end('boom'));
    const result = await executor().execute({ url: r.url, method: 'GET', headers: {} });
    expect(result).toMatchObject({
      outcome: 'failed',
      statusCode: 500,
      responseBody: 'boom',
      error: 'unexpected HTTP status 500 (expected 2xx)',
    });
  });

  it('honours an expected status list in both directions', async () => {
    const r = await receiver((req, res) => res.writeHead(Number(req.url.slice(1))).end());
    const ex = executor();

    await expect(ex.execute({ url: `${r.url}/201`, method: 'GET', headers: {}, expectedStatus: [200] })).resolves.toMatchObject({
      outcome: 'failed',
      statusCode: 201,
      error: 'unexpected HTTP status 201 (expected 200)',
    });
    await expect(ex.execute({ url: `${r.url}/201`, method: 'GET', headers: {}, expectedStatus: [201, 202] })).resolves.toMatchObject({
      outcome: 'succeeded',
    });
    await expect(ex.execute({ url: `${r.url}/404`, method: 'GET', headers: {}, expectedStatus: [404] })).resolves.toMatchObject({
      outcome: 'succeeded',
      statusCode: 404,
    });
    await expect(ex.execute({ url: `${r.url}/204`, method: 'GET', headers: {}, expectedStatus: [] })).resolves.toMatchObject({
      outcome: 'succeeded',
      responseBody: '',
    });
  });

  it('does not follow a redirect and reports it as failed', async () => {
    const target = await receiver((_req, res) => res.end('should not be reached'));
    const r = await receiver((_req, res) => res.writeHead(302, { location: `${target.url}/next` }).end());

    const result = await executor().execute({ url: r.url, method: 'GET', headers: {} });

    expect(result).toMatchObject({
      outcome: 'failed',
      statusCode: 302,
      error: `redirect to ${target.url}/next not followed (HTTP 302)`,
    });
    expect(target.requests).toHaveLength(0);
    expect(target.connections).toBe(0);
  });

  it('reports a receiver that never answers as a timeout within the budget', async () => {
    const r = await receiver(() => {
      /* hold the request open */
    });
    const started = Date.now();
    const result = await executor().execute({ url: r.url, method: 'GET', headers: {}, timeoutMs: 200 });
    const elapsed = Date.now() - started;

    expect(result).toMatchObject({ outcome: 'timeout', statusCode: null, responseBody: null, error: 'timed out after 200 ms' });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2000);
  });

  it('reports a body that stalls after the headers as a timeout and keeps the status', async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const result = await executor().execute({ url: r.url, method: 'GET', headers: {}, timeoutMs: 200 });
    expect(result).toMatchObject({ outcome: 'timeout', statusCode: 200, error: 'timed out after 200 ms' });
  });

  it('keeps only the first maxResponseBytes of a large body', async () => {
    const big = 'a'.repeat(1024) + 'b'.repeat(1024 * 1024);
    const r = await receiver((_req, res) => res.end(big));
    const ex = executor({ maxResponseBytes: 1024 });

    const result = await ex.execute({ url: r.url, method: 'GET', headers: {} });

    expect(result.outcome).toBe('succeeded');
    expect(result.responseBody).toBe('a'.repeat(1024));
  });

  it('keeps a body of exactly maxResponseBytes whole', async () => {
    const r = await receiver((_req, res) => res.end('x'.repeat(64)));
    const result = await executor({ maxResponseBytes: 64 }).execute({ url: r.url, method: 'GET', headers: {} });
    expect(result.responseBody).toBe('x'.repeat(64));
  });

  it('parses Retry-After given in seconds or as an HTTP date', async () => {
    const when = new Date(Date.now() + 60_000).toUTCString();
    const r = await receiver((req, res) =>
      req.url === '/seconds'
        ? res.writeHead(503, { 'retry-after': '7' }).end()
        : res.writeHead(429, { 'retry-after': when }).end(),
    );
    const ex = executor();

    const seconds = await ex.execute({ url: `${r.url}/seconds`, method: 'GET', headers: {} });
    const date = await ex.execute({ url: `${r.url}/date`, method: 'GET', headers: {} });

    expect(seconds).toMatchObject({ outcome: 'failed', statusCode: 503, retryAfterMs: 7000 });
    expect(date).toMatchObject({ outcome: 'failed', statusCode: 429 });
    expect(date.retryAfterMs).toBeGreaterThan(55_000);
    expect(date.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('adds Standard Webhooks headers that verify against every signing secret', async () => {
    const r = await receiver((_req, res) => res.end());
    const oldSecret = generateSigningSecret();
    const newSecret = generateSigningSecret();
    const body = JSON.stringify({ job: 'nightly', n: 1 });

    const result = await executor().execute({
      url: r.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Webhook-Id': 'spoofed' },
      body,
      signing: { id: 'msg_123', secrets: [oldSecret, newSecret] },
    });

    expect(result.outcome).toBe('succeeded');
    const received = r.requests[0];
    expect(received.headers['webhook-id']).toBe('msg_123');
    expect(Math.abs(Number(received.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(String(received.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifySignature(oldSecret, received.headers, received.body)).toBe(true);
    expect(verifySignature(newSecret, received.headers, received.body)).toBe(true);
    expect(verifySignature(generateSigningSecret(), received.headers, received.body)).toBe(false);
  });

  it('sends URL credentials as basic authorization', async () => {
    const r = await receiver((_req, res) => res.end());
    await executor().execute({ url: `http://us%40er:p%3Ass@127.0.0.1:${r.port}/`, method: 'GET', headers: {} });
    expect(r.requests[0].headers.authorization).toBe('Basic ' + Buffer.from('us@er:p:ss').toString('base64'));
  });
});

describe('HttpExecutor admission control', () => {
  it('never has more than maxPerOrigin requests open at one receiver', async () => {
    const held: Array<() => void> = [];
    const r = await receiver((_req, res) => held.push(() => res.end('ok')));
    const ex = executor({ maxPerOrigin: 2 });

    const calls = Array.from({ length: 10 }, () => ex.execute({ url: r.url, method: 'GET', headers: {} }));
    let served = 0;
    while (served < 10) {
      await r.until(() => held.length === Math.min(2, 10 - served));
      expect(r.open).toBeLessThanOrEqual(2);
      served += held.length;
      for (const release of held.splice(0)) release();
    }
    const results = await Promise.all(calls);

    expect(results.every((x) => x.outcome === 'succeeded')).toBe(true);
    expect(r.maxOpen).toBe(2);
    expect(r.requests).toHaveLength(10);
  });

  it('bounds requests in flight across origins by maxInFlight', async () => {
    const held: Array<() => void> = [];
    const a = await receiver((_req, res) => held.push(() => res.end()));
    const b = await receiver((_req, res) => held.push(() => res.end()));
    const ex = executor({ maxInFlight: 3, maxPerOrigin: 2 });

    const calls = Array.from({ length: 12 }, (_, i) => ex.execute({ url: (i % 2 ? a : b).url, method: 'GET', headers: {} }));
    let served = 0;
    while (served < 12) {
      await untilAny([a, b], () => held.length === Math.min(3, 12 - served));
      expect(a.open + b.open).toBeLessThanOrEqual(3);
      expect(ex.inFlight).toBeLessThanOrEqual(3);
      served += held.length;
      for (const release of held.splice(0)) release();
    }
    const results = await Promise.all(calls);

    expect(results.every((x) => x.outcome === 'succeeded')).toBe(true);
    expect(a.maxOpen).toBeLessThanOrEqual(2);
    expect(b.maxOpen).toBeLessThanOrEqual(2);
    expect(a.requests.length + b.requests.length).toBe(12);
  });

  it('absorbs thousands of simultaneous calls and completes them all', async () => {
    const r = await receiver((_req, res) => res.end('ok'));
    const ex = executor({ maxInFlight: 32, maxPerOrigin: 16 });

    const results = await Promise.all(
      Array.from({ length: 3000 }, () => ex.execute({ url: r.url, method: 'GET', headers: {} })),
    );

    expect(results.filter((x) => x.outcome !== 'succeeded')).toEqual([]);
    expect(r.maxOpen).toBeLessThanOrEqual(16);
    expect(r.connections).toBeLessThanOrEqual(16);
    expect(ex.inFlight).toBe(0);
    expect(ex.queued).toBe(0);
  });
});

describe('HttpExecutor failures never throw', () => {
  it('reports a closed port as a failed connection', async () => {
    const r = await startReceiver(() => {});
    const port = r.port;
    await r.close();
    const result = await executor().execute({ url: `http://127.0.0.1:${port}/`, method: 'GET', headers: {} });
    expect(result).toMatchObject({ outcome: 'failed', statusCode: null, error: `connection to 127.0.0.1:${port} refused (ECONNREFUSED)` });
  });

  it('reports a connection dropped mid-request as failed', async () => {
    const r = await receiver((_req, res) => res.socket?.destroy());
    const result = await executor().execute({ url: r.url, method: 'GET', headers: {} });
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/127\.0\.0\.1:\d+ (closed unexpectedly|reset)/);
  });

  it('reports an unresolvable host as a DNS failure', async () => {
    const result = await executor().execute({ url: 'http://does-not-exist.invalid/', method: 'GET', headers: {}, timeoutMs: 10_000 });
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/^DNS lookup for does-not-exist\.invalid failed \(E[A-Z_]+\)$/);
  });

  it('reports a malformed URL, a bad scheme and an invalid header as outcomes', async () => {
    const r = await receiver((_req, res) => res.end());
    const ex = executor();

    await expect(ex.execute({ url: '::nope', method: 'GET', headers: {} })).resolves.toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(/^Invalid URL/),
    });
    await expect(ex.execute({ url: 'ftp://127.0.0.1/', method: 'GET', headers: {} })).resolves.toMatchObject({ outcome: 'refused' });
    await expect(ex.execute({ url: r.url, method: 'GET', headers: { 'x-bad': 'a\r\nb' } })).resolves.toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(/^invalid request/),
    });
    expect(r.requests).toHaveLength(0);
  });

  it('reports calls made after close as failed', async () => {
    const r = await receiver((_req, res) => res.end());
    const ex = new HttpExecutor({ policy: LOOPBACK });
    await ex.close();
    await expect(ex.execute({ url: r.url, method: 'GET', headers: {} })).resolves.toMatchObject({
      outcome: 'failed',
      error: 'executor is closed',
    });
    expect(r.connections).toBe(0);
  });
});

describe('HttpExecutor warm-up', () => {
  it('warms up once on its own loopback server, even under a policy that refuses loopback, and touches no target', async () => {
    const r = await receiver((_req, res) => res.end('ok'));
    const ex = new HttpExecutor({ policy: new TargetPolicy([]), warmUpCalls: 200 });
    cleanups.push(() => ex.close(1000));
    const first = ex.warmUp();
    expect(ex.warmUp()).toBe(first);
    await expect(first).resolves.toBeUndefined();
    expect(ex.inFlight).toBe(0);
    expect(r.requests).toHaveLength(0);
    // The executor still refuses loopback targets afterwards: the warm-up used its own agent.
    await expect(ex.execute({ url: r.url, method: 'GET', headers: {} })).resolves.toMatchObject({ outcome: 'refused' });
    expect(r.connections).toBe(0);
  });

  it('rejects a negative or fractional warm-up size', () => {
    expect(() => new HttpExecutor({ policy: LOOPBACK, warmUpCalls: -1 })).toThrow(/warmUpCalls/);
    expect(() => new HttpExecutor({ policy: LOOPBACK, warmUpCalls: 1.5 })).toThrow(/warmUpCalls/);
  });
});
