import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { HTTP_LIMIT_DEFAULTS, type HttpLimits, type TrustProxy } from '../../config.js';
import type { Core } from '../../core/index.js';
import type { Logger } from '../../logger.js';
import type { TockMetrics } from '../../metrics/index.js';
import type { Database } from '../../store/database.js';
import { dashboardRoutes } from './dashboard.js';
import { clientErrorHandler, frameworkErrors, httpErrorHandler, notFound } from './errors.js';
import { healthRoutes, type SchedulerState } from './health.js';
import { metricsRoutes, observeRequests } from './metrics.js';
import { pingRoutes } from './pings.js';
import { signupRoutes } from './signup.js';

export interface HttpAppOptions {
  core: Core;
  db: Database;
  logger: Logger;
  /** What `/healthz` reports as the storage mode. */
  mode: 'embedded' | 'postgres';
  /** This node's scheduler, for `/readyz`; absent or null on an API-only node. */
  scheduler?: (() => SchedulerState | Promise<SchedulerState>) | null;
  /** TOCK_OPEN_SIGNUP: whether POST /signup creates accounts. */
  openSignup?: boolean;
  /** Timeouts and caps of the port (config); each one left out takes its default. */
  limits?: Partial<HttpLimits>;
  /** Counts every request and serves `/metrics`; absent: neither (TOCK_METRICS=off). */
  metrics?: { registry: TockMetrics; token: string | null } | null;
  /** TOCK_TRUST_PROXY: whose X-Forwarded-For names the client (`req.ip`); default nobody's. */
  trustProxy?: TrustProxy;
  /**
   * What the composition root serves on this port besides health, pings and sign-up: tRPC at
   * /trpc, the REST dialects. Called once, inside the root context, before the app is ready.
   */
  mount?: (app: FastifyInstance) => PromiseLike<unknown> | void;
  /** The dashboard's build output served at `/`; default `dashboard/dist`. */
  dashboardDir?: string;
}

/**
 * How often Node looks for requests past their header or request timeout. Its default (30 s)
 * would let a 10 s timeout take up to 40 s; a tenth of the shorter timeout (0.1-1 s) keeps the
 * answer within about 10% of it, for one walk over the open connections per tick.
 */
function checkingIntervalMs(limits: HttpLimits): number {
  return Math.min(1_000, Math.max(100, Math.floor(limits.headersTimeoutMs / 10)));
}

/**
 * Fastify's `trustProxy` for TOCK_TRUST_PROXY. A hop count trusts that many proxies in front of
 * the port, whoever they are (as Express does): the socket's peer is hop 0. Fastify itself now
 * takes a bare number as "trust nothing", so the count is given as a function.
 */
function trustProxyOption(t: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof t === 'number' ? (_address, hop) => hop < t : t;
}

/**
 * The one HTTP port as a Fastify app, not listening: `startHttpServer` listens, tests may
 * `inject()`. Every request ends in a response; a handler that throws something unexpected
 * gives a logged 500 `internal error`, never a crash, and no client input answers 5xx.
 */
export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const limits: HttpLimits = { ...HTTP_LIMIT_DEFAULTS, ...opts.limits };
  const app = Fastify({
    // Request logging off: errors are logged by the error handler, with our logger.
    logger: false,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(limits),
    },
    // Fastify sets these two on the server after creating it; the same values again.
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    clientErrorHandler: clientErrorHandler(limits),
    frameworkErrors,
    // A path parameter longer than this is no route (see frameworkErrors), which also bounds
    // every rate-limit key taken from one (ping tokens). Prikke's `/jobs/key/:key` takes keys of
    // up to 255 characters, percent-encoded up to three times as long.
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 800 },
    trustProxy: trustProxyOption(opts.trustProxy ?? false),
  });
  // Past the cap Node closes a new connection at once, before reading a byte of it.
  app.server.maxConnections = limits.maxConnections;
  app.setErrorHandler(httpErrorHandler(opts.logger));
  app.setNotFoundHandler(notFound);
  if (opts.metrics) observeRequests(app, opts.metrics.registry);

  // Limits are asked for per route group (pings, sign-up; later the dialects' per-key limit), none globally.
  await app.register(rateLimit, { global: false });
  await app.register(healthRoutes, { db: opts.db, mode: opts.mode, scheduler: opts.scheduler });
  await app.register(pingRoutes, { core: opts.core, limits });
  await app.register(signupRoutes, { core: opts.core, openSignup: opts.openSignup ?? false, limits });
  await app.register(dashboardRoutes, { dir: opts.dashboardDir });
  if (opts.metrics) await app.register(metricsRoutes, { metrics: opts.metrics.registry, token: opts.metrics.token });
  await opts.mount?.(app);
  return app;
}
