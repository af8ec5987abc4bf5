import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Core } from '../../core/index.js';
import { isTockError, NotFoundError, type TockError } from '../../core/errors.js';
import type { PingKind } from '../../core/types.js';
import type { Database } from '../../store/database.js';
import type { Logger } from '../../logger.js';
import { BodyTooLargeError, readBody, Router, sendJson, type Handler } from './router.js';

export interface HttpServerOptions {
  core: Core;
  db: Database;
  logger: Logger;
  port: number;
  host?: string;
  /** What `/healthz` reports as the storage mode. */
  mode: 'embedded' | 'postgres';
  /** TOCK_OPEN_SIGNUP: whether POST /signup creates accounts. */
  openSignup?: boolean;
  /** Extra mounts (tRPC at /trpc, REST dialects) registered by the composition root. */
  mounts?: { prefix: string; handler: Handler }[];
}

export interface RunningHttpServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

const STATUS_BY_CODE: Record<string, number> = {
  not_found: 404,
  unauthenticated: 401,
  permission_denied: 403,
  already_exists: 409,
  job_already_executed: 409,
  idempotency_conflict: 409,
  failed_precondition: 409,
  rate_limited: 429,
  unavailable: 503,
};

/** Error body of Tock's own HTTP endpoints (health, ping). The REST dialects have their own shapes. */
function sendError(res: ServerResponse, err: TockError): void {
  const status = STATUS_BY_CODE[err.code] ?? 400;
  sendJson(res, status, { error: { code: err.code, message: err.message } });
}

/**
 * The one HTTP port: health, monitor pings, tRPC and the REST dialects. Every request ends in
 * a response; a handler that throws something unexpected gives a logged 500, never a crash.
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const { core, db, logger } = opts;
  const router = new Router();

  router.on('GET', '/healthz', async (_req, res) => {
    const ok = await db.isReachable();
    sendJson(res, ok ? 200 : 503, {
      status: ok ? 'ok' : 'unavailable',
      database: ok ? 'ok' : 'unreachable',
      mode: opts.mode,
    });
  });

  // Monitor pings: the token in the URL is the credential. GET and POST both count, as in
  // the hosted services, so `curl` one-liners and webhooks can ping.
  const ping = (kind: PingKind): Handler => async (req, res, params) => {
    let body: string | null = null;
    if (req.method === 'POST') body = await readBody(req, 100_000);
    const monitor = await core.monitors.pingByToken(params.token, kind, {
      sourceIp: req.socket.remoteAddress ?? null,
      userAgent: req.headers['user-agent'] ?? null,
      body,
    });
    sendJson(res, 200, { ok: true, status: monitor.status });
  };
  router.on(['GET', 'POST'], '/ping/:token', ping('success'));
  router.on(['GET', 'POST'], '/ping/:token/start', ping('start'));
  router.on(['GET', 'POST'], '/ping/:token/fail', ping('fail'));

  // Self-service accounts, only when TOCK_OPEN_SIGNUP is on: a new account, its first project and an all-scopes key.
  router.on('POST', '/signup', async (req, res) => {
    if (!opts.openSignup) {
      sendJson(res, 403, { error: { code: 'signup_closed', message: 'Sign-up is closed on this server; ask an admin for a key' } });
      return;
    }
    const raw = await readBody(req, 10_000);
    let input: unknown;
    try {
      input = JSON.parse(raw || '{}');
    } catch {
      sendJson(res, 400, { error: { code: 'invalid_argument', message: 'Body must be JSON: {"email": "...", "name": "..."}' } });
      return;
    }
    const { account, project, secret } = await core.signUp(input);
    sendJson(res, 201, { account_id: account.id, project_id: project.id, api_key: secret });
  });

  for (const m of opts.mounts ?? []) router.mount(m.prefix, m.handler);

  const server = createServer(async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendJson(res, 400, { error: { code: 'invalid_argument', message: 'Malformed request URL' } });
      return;
    }
    const found = router.match(req.method ?? 'GET', url.pathname);
    if (!found) {
      sendJson(res, 404, { error: { code: 'not_found', message: `No route for ${req.method} ${url.pathname}` } });
      return;
    }
    if ('methodNotAllowed' in found) {
      sendJson(res, 405, { error: { code: 'method_not_allowed', message: `${req.method} is not allowed on ${url.pathname}` } });
      return;
    }
    try {
      await found.handler(req, res, found.params, url);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
      } else if (err instanceof BodyTooLargeError) {
        // The rest of the body is never read, so this connection cannot carry another request.
        sendJson(res, 413, { error: { code: 'payload_too_large', message: err.message } }, { connection: 'close' });
      } else if (err instanceof NotFoundError) {
        sendJson(res, 404, { error: { code: err.code, message: err.message } });
      } else if (isTockError(err)) {
        sendError(res, err);
      } else {
        logger.error({ err, path: url.pathname }, 'unhandled error in HTTP handler');
        sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } });
      }
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export type { IncomingMessage, ServerResponse };
