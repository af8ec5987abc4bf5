import { Writable } from 'node:stream';
import { pino } from 'pino';
import { request } from 'undici';
import { expect } from 'vitest';
import type { HttpLimits } from '../../../../server/config.js';
import { startHttpServer } from '../../../../server/surfaces/http/server.js';
import { restPlugin } from '../../../../server/surfaces/rest/index.js';
import { trpcPlugin } from '../../../../server/surfaces/trpc/index.js';
import { createClient, type TockClient } from '../../../../client/src/index.js';
import type { TestCore } from '../../../helpers/core.js';

/** The public base URL the test cores are made with: pingUrls start with it, as behind a proxy. */
export const PUBLIC_URL = 'https://cron.example.test';

export interface CronpeekServer {
  /** Where the server listens, e.g. http://127.0.0.1:43123. */
  url: string;
  /** Error lines the server logged (an unhandled error in a handler would be one). */
  errors: Array<Record<string, unknown>>;
  /** A `@tock/client` (tRPC) of this server, for cross-surface checks. */
  trpc(apiKey: string): TockClient;
  close(): Promise<void>;
}

export interface CronpeekServerOptions {
  openSignup?: boolean;
  limits?: Partial<HttpLimits>;
  databaseReachable?: () => Promise<boolean>;
}

/**
 * The HTTP port on 127.0.0.1 (port 0) with tRPC and the REST dialects mounted as the composition
 * root mounts them (server/app.ts), on the given core. Sign-up and ping limits are off unless a
 * test sets them: every request of a test file comes from one address.
 */
export async function startCronpeekServer(t: TestCore, opts: CronpeekServerOptions = {}): Promise<CronpeekServer> {
  const errors: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      errors.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'error' }, sink);
  const limits = { pingRatePerIp: 0, pingRatePerToken: 0, signupRatePerIp: 0, ...opts.limits };
  const http = await startHttpServer({
    core: t.core,
    db: t.database.db,
    logger,
    mode: 'postgres',
    port: 0,
    host: '127.0.0.1',
    openSignup: opts.openSignup,
    limits,
    mount: async (app) => {
      await app.register(trpcPlugin, { prefix: '/trpc', core: t.core, logger });
      await app.register(restPlugin, {
        core: t.core,
        logger,
        limits,
        openSignup: opts.openSignup,
        databaseReachable: opts.databaseReachable ?? (() => t.database.db.isReachable()),
      });
    },
  });
  const url = `http://127.0.0.1:${http.port}`;
  return {
    url,
    errors,
    trpc: (apiKey) => createClient({ url, apiKey }),
    close: async () => {
      http.server.closeAllConnections();
      await http.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text ('' when none). */
  text: string;
  /** The body parsed as JSON (undefined when empty). */
  json: any;
}

/** One HTTP request with undici, as a user's curl would send it; the answer read whole. */
export async function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const res = await request(url, { method: (opts.method ?? 'GET') as 'GET', headers: opts.headers, body: opts.body });
  const text = await res.body.text();
  let json: unknown;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** The path of a pingUrl (under PUBLIC_URL) on the test server: the base URL swapped. */
export function pingAt(server: CronpeekServer, pingUrl: string): string {
  if (!pingUrl.startsWith(`${PUBLIC_URL}/`)) throw new Error(`pingUrl ${pingUrl} is not under ${PUBLIC_URL}`);
  return server.url + pingUrl.slice(PUBLIC_URL.length);
}

export const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
export const MONITOR_ID = expect.stringMatching(/^mon_[0-9a-z]{26}$/);
export const API_KEY = expect.stringMatching(/^tock_[0-9A-Za-z]{40}$/);
export const PING_URL = expect.stringMatching(/^https:\/\/cron\.example\.test\/api\/v1\/ping\/[0-9A-Za-z]{24}$/);
