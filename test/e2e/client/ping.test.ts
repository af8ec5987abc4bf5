import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionError, NotFoundError, ping, pingTarget, ServerError } from '../../../client/src/index.js';

interface Received {
  method: string;
  path: string;
  body: string;
  contentType: string | undefined;
}

let server: Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  // A loopback stand-in for Tock's ping endpoints: known token answers 200, others 404, "boom" 503.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ method: req.method ?? '', path, body: Buffer.concat(chunks).toString(), contentType: req.headers['content-type'] });
      const token = path.split('/')[2];
      const [status, payload] =
        token === 'tok123' ? [200, { ok: true, status: 'up' }] : token === 'boom' ? [503, { error: { code: 'unavailable', message: 'Database unreachable' } }] : [404, { error: { code: 'not_found', message: "No monitor with id 'nope…'" } }];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
});

describe('ping', () => {
  it('sends a success ping as a GET to the ping URL itself', async () => {
    await expect(ping(`${base}/ping/tok123`)).resolves.toBeUndefined();
    expect(received).toEqual([{ method: 'GET', path: '/ping/tok123', body: '', contentType: undefined }]);
  });

  it('sends start and fail pings to /start and /fail', async () => {
    await ping(`${base}/ping/tok123`, { kind: 'start' });
    await ping(`${base}/ping/tok123/`, { kind: 'fail' });
    expect(received.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /ping/tok123/start', 'GET /ping/tok123/fail']);
  });

  it('sends a body as a plain-text POST', async () => {
    await ping(`${base}/ping/tok123`, { kind: 'fail', body: 'exit code 3\nlast line of the log' });
    expect(received).toEqual([{ method: 'POST', path: '/ping/tok123/fail', body: 'exit code 3\nlast line of the log', contentType: 'text/plain; charset=utf-8' }]);
  });

  it('throws NotFoundError when the ping URL is unknown, with the server’s message', async () => {
    const err = await ping(`${base}/ping/nope`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'not_found', message: "No monitor with id 'nope…'" });
  });

  it('throws ServerError when the server fails', async () => {
    await expect(ping(`${base}/ping/boom`)).rejects.toMatchObject({ constructor: ServerError, status: 503, code: 'unavailable' });
  });

  it('throws ConnectionError when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(ping(`http://127.0.0.1:${port}/ping/tok123`)).rejects.toBeInstanceOf(ConnectionError);
  });

  it('keeps the query string of a ping URL when appending the kind', () => {
    expect(pingTarget('https://tock.example/ping/abc?rid=7', 'start')).toBe('https://tock.example/ping/abc/start?rid=7');
    expect(pingTarget('https://tock.example/ping/abc')).toBe('https://tock.example/ping/abc');
  });
});
