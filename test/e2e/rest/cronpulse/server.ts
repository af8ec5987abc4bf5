import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startTock, type RunningTock } from '../../../../server/app.js';
import { parseConfig } from '../../../../server/config.js';
import { createLogger } from '../../../../server/logger.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/db.js';

/** A Tock server as `npm start` runs it (composition root, real ports), on a database of the test file's own. */
export interface CronPulseServer {
  /** `http://127.0.0.1:<port>`: what replaces `https://app.cronpulse.live`. */
  origin: string;
  /** The documented base URL on this server. */
  base: string;
  /** The admin key printed on first start: what replaces `cpk_your_api_key`. */
  key: string;
  tock: RunningTock;
  database: TestDatabase;
  close(): Promise<void>;
}

/**
 * `scheduler: false` serves the API only: nothing is ever called, so the document's example
 * targets (example.com) can be stored as written. With the scheduler, `allowTargets` lets jobs
 * call loopback receivers.
 */
export async function startServer(opts: { scheduler: boolean; allowTargets?: string[] } = { scheduler: false }): Promise<CronPulseServer> {
  const database = await createTestDatabase();
  // The URLs Tock hands out (heartbeat ping URLs) name its public URL: the port is chosen first.
  const port = await freePort();
  const config = parseConfig({
    DATABASE_URL: database.url,
    PORT: String(port),
    TOCK_PUBLIC_URL: `http://127.0.0.1:${port}`,
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    TOCK_SCHEDULER: String(opts.scheduler),
    TOCK_ALLOW_TARGETS: (opts.allowTargets ?? []).join(','),
    TOCK_SHUTDOWN_DEADLINE_MS: '2000',
  });
  const tock = await startTock(config, { logger: createLogger('silent') });
  const origin = `http://127.0.0.1:${tock.http.port}`;
  return {
    origin,
    base: `${origin}/api/v1`,
    key: tock.bootstrapSecret!,
    tock,
    database,
    async close() {
      tock.http.server.closeAllConnections();
      await tock.stop();
      await database.close();
    },
  };
}

/** A loopback port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed JSON body (undefined when empty). */
  body: any;
  text: string;
}

/** One request as a user's client sends it: JSON in, JSON out. `body` a string is sent as is. */
export async function send(method: string, url: string, opts: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers['x-api-key'] = opts.key;
  let payload: string | undefined;
  if (opts.body !== undefined) {
    payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
}

/** Resolves once `check` returns a value other than undefined; polls every 50 ms up to `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** ISO 8601 UTC to the second, as the document writes times. */
export const DOCUMENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
