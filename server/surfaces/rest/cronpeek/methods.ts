import type { HTTPMethods } from 'fastify';
import type { DialectApp, DialectContext } from '../dialect.js';

const METHODS: HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/**
 * Answers 405 with `Allow`, in CronPeek's error shape, for every method a documented path does
 * not serve (the router alone would answer Tock's own 404). HEAD comes with GET. Answered on
 * request, before any body is read.
 */
export function refuseOtherMethods(app: DialectApp, ctx: DialectContext, url: string, allowed: HTTPMethods[]): void {
  const allow = allowed.includes('GET') && !allowed.includes('HEAD') ? [...allowed, 'HEAD'] : allowed;
  const header = allow.join(', ');
  app.route({
    method: METHODS.filter((m) => !allow.includes(m)),
    url,
    schema: { hide: true },
    onRequest: async (req, reply) => {
      ctx.reject(reply.header('allow', header), 405, 'method_not_allowed', `${req.method} is not allowed on ${url} (allowed: ${header})`);
      return reply;
    },
    handler: async () => undefined,
  });
}
