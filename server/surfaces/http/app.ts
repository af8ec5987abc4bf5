import Fastify, { type FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import type { Logger } from '../../logger.js';
import type { Database } from '../../store/database.js';
import { clientErrorHandler, frameworkErrors, httpErrorHandler, notFound } from './errors.js';
import { healthRoutes } from './health.js';
import { pingRoutes } from './pings.js';
import { signupRoutes } from './signup.js';

export interface HttpAppOptions {
  core: Core;
  db: Database;
  logger: Logger;
  /** What `/healthz` reports as the storage mode. */
  mode: 'embedded' | 'postgres';
  /** TOCK_OPEN_SIGNUP: whether POST /signup creates accounts. */
  openSignup?: boolean;
  /**
   * What the composition root serves on this port besides health, pings and sign-up: tRPC at
   * /trpc, the REST dialects. Called once, inside the root context, before the app is ready.
   */
  mount?: (app: FastifyInstance) => PromiseLike<unknown> | void;
}

const HEADERS_TIMEOUT_MS = 66_000;
const REQUEST_TIMEOUT_MS = 120_000;
const KEEPALIVE_TIMEOUT_MS = 65_000;

/**
 * The one HTTP port as a Fastify app, not listening: `startHttpServer` listens, tests may
 * `inject()`. Every request ends in a response; a handler that throws something unexpected
 * gives a logged 500 `internal error`, never a crash, and no client input answers 5xx.
 */
export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Request logging off: errors are logged by the error handler, with our logger.
    logger: false,
    http: { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    keepAliveTimeout: KEEPALIVE_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    clientErrorHandler: clientErrorHandler({ headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS }),
    frameworkErrors,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
  });
  app.setErrorHandler(httpErrorHandler(opts.logger));
  app.setNotFoundHandler(notFound);

  await app.register(healthRoutes, { db: opts.db, mode: opts.mode });
  await app.register(pingRoutes, { core: opts.core });
  await app.register(signupRoutes, { core: opts.core, openSignup: opts.openSignup ?? false });
  await opts.mount?.(app);
  return app;
}
