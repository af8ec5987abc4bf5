import type { FastifyInstance, HTTPMethods } from 'fastify';
import { pathOf, sendError } from './errors.js';

const METHODS: HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/**
 * Answers 405 with `Allow` for every method a path does not serve (Fastify's router alone
 * answers 404). `allowed` are the methods routed for `url`; HEAD comes with GET. The answer is
 * given on request, before any body is read.
 */
export function refuseOtherMethods(app: FastifyInstance, url: string, allowed: HTTPMethods[]): void {
  const allow = allowed.includes('GET') && !allowed.includes('HEAD') ? [...allowed, 'HEAD'] : allowed;
  const allowHeader = allow.join(', ');
  app.route({
    method: METHODS.filter((m) => !allow.includes(m)),
    url,
    onRequest: async (req, reply) => {
      sendError(reply.header('allow', allowHeader), 405, 'method_not_allowed', `${req.method} is not allowed on ${pathOf(req)} (allowed: ${allowHeader})`);
      return reply;
    },
    handler: async () => undefined,
  });
}
