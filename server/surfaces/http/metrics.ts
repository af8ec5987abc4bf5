import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiObserver, ApiRequest, TockMetrics } from '../../metrics/index.js';
import { sendError } from './errors.js';
import { refuseOtherMethods } from './methods.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The surface a route belongs to for metrics; default `http` (Tock's own endpoints). */
    surface?: ApiRequest['surface'];
    /** The REST dialect that registered the route. */
    dialect?: string;
    /** The route label of a request when the route template alone says too little (tRPC: the procedure). */
    metricsRoute?: (req: FastifyRequest) => string;
  }
}

/** The route label of a request no route matched: one series for every such path. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * Reports every answered request of the HTTP port to `observer`: its surface, the route
 * template (never the raw URL), method and status, and the time from arrival to answer. Call on
 * the root instance before any route or plugin is registered, so the hook reaches every context.
 */
export function observeRequests(app: FastifyInstance, observer: ApiObserver): void {
  app.addHook('onResponse', async (req, reply) => {
    const config = req.routeOptions.config;
    const template = req.routeOptions.url;
    let route: string;
    if (template === undefined || req.is404) route = UNMATCHED_ROUTE;
    else route = config.metricsRoute?.(req) ?? template;
    const surface = config.surface ?? 'http';
    observer.observe(
      { surface, dialect: surface === 'rest' ? config.dialect : undefined, route, method: req.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
function hasBearer(req: FastifyRequest, expected: Buffer): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m !== null && timingSafeEqual(digest(m[1]), expected);
}

export interface MetricsRouteOptions {
  metrics: TockMetrics;
  /** TOCK_METRICS_TOKEN: when set, a scrape must send it as a bearer token. */
  token: string | null;
}

/** `GET /metrics`: the node's Prometheus text (unauthenticated unless a token is configured). */
export async function metricsRoutes(app: FastifyInstance, opts: MetricsRouteOptions): Promise<void> {
  const expected = opts.token === null ? null : digest(opts.token);
  app.get('/metrics', async (req, reply) => {
    if (expected && !hasBearer(req, expected)) {
      return sendError(reply.header('www-authenticate', 'Bearer realm="metrics"'), 401, 'unauthenticated', 'GET /metrics needs Authorization: Bearer <TOCK_METRICS_TOKEN>');
    }
    const { contentType, body } = await opts.metrics.render();
    return reply.type(contentType).send(body);
  });
  refuseOtherMethods(app, '/metrics', ['GET']);
}
