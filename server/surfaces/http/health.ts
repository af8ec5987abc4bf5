import type { FastifyInstance } from 'fastify';
import type { Database } from '../../store/database.js';
import { refuseOtherMethods } from './methods.js';

export interface HealthOptions {
  db: Database;
  /** What `/healthz` reports as the storage mode. */
  mode: 'embedded' | 'postgres';
}

/** `GET /healthz`: 200 while the database answers, 503 once it does not. */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/healthz', async (_req, reply) => {
    const ok = await opts.db.isReachable();
    reply.code(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', database: ok ? 'ok' : 'unreachable', mode: opts.mode };
  });
  refuseOtherMethods(app, '/healthz', ['GET']);
}
