import { TOCK_VERSION } from '../../../version.js';
import type { DialectApp, DialectContext } from '../dialect.js';
import { refuseOtherMethods } from './methods.js';

/**
 * `GET /api/health`, no key: the document's `{status, service, version, timestamp}`, with Tock
 * as the service and its own version. Like `/healthz`, 503 once the database does not answer,
 * then with the document's `error` field too.
 */
export function healthRoutes(app: DialectApp, ctx: DialectContext): void {
  app.get('/api/health', { schema: { summary: 'Whether the API is online (503 while the database does not answer)' } }, async (_req, reply) => {
    const ok = await ctx.databaseReachable();
    const body = { status: ok ? 'ok' : 'unavailable', service: 'tock', version: TOCK_VERSION, timestamp: new Date().toISOString() };
    if (ok) return body;
    reply.code(503);
    return { ...body, error: 'The database is not reachable; retry shortly' };
  });
  refuseOtherMethods(app, ctx, '/api/health', ['GET']);
}
