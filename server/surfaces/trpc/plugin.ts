import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import type { Core } from '../../core/index.js';
import { RateLimitedError } from '../../core/errors.js';
import { createContext } from './context.js';
import { needsLogging, type TrpcLogger } from './errors.js';
import { appRouter } from './router.js';

export interface TrpcPluginOptions {
  core: Core;
  logger: TrpcLogger;
  /** Largest request body in bytes (a batch of calls counts once). Default 4 MiB. */
  maxBodySize?: number;
}

const TRPC_METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The most calls one batched request may carry; `@tock/client` sends at most this many. */
export const MAX_BATCH_SIZE = 50;

const PROCEDURES = new Set(Object.keys(appRouter._def.procedures));

/**
 * The metrics route of a tRPC request: the procedure (`schedules.list`), `(batch)` for several
 * at once, `(unknown)` for a name the router lacks, so clients cannot add series by naming paths.
 */
export function procedureLabel(path: string): string {
  if (path.includes(',')) return '(batch)';
  return PROCEDURES.has(path) ? path : '(unknown)';
}

/**
 * The tRPC surface as a Fastify plugin, through tRPC's Fastify adapter. Register it with
 * `{ prefix: '/trpc' }`: procedures at `/trpc/schedules.get`, batches as
 * `/trpc/schedules.get,jobs.list?batch=1`. Paths outside the prefix never reach it.
 */
export async function trpcPlugin(app: FastifyInstance, opts: TrpcPluginOptions): Promise<void> {
  const { core, logger } = opts;
  const maxBodySize = opts.maxBodySize ?? 4 * 1024 * 1024;
  // tRPC reads the body itself (the adapter takes the unread stream), so a body over the limit
  // or of a type tRPC does not take is answered in tRPC's error shape like every other tRPC error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  const handler = async (req: FastifyRequest<{ Params: { path: string } }>, reply: FastifyReply) => {
    await fastifyRequestHandler({
      router: appRouter,
      req,
      res: reply,
      path: req.params.path,
      maxBodySize,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: ({ req: r }) => createContext(core, logger, r),
      onError({ error, path: procedure }) {
        if (needsLogging(error)) logger.error({ err: error.cause, path: procedure }, 'unhandled error in tRPC request');
      },
      responseMeta({ errors, info }) {
        const headers: Record<string, string> = {};
        const limited = errors.map((e) => e.cause).find((c): c is RateLimitedError => c instanceof RateLimitedError);
        if (limited) headers['retry-after'] = String(Math.max(1, Math.ceil(limited.retryAfterMs / 1000)));
        // A request tRPC could not read (media type, method, batch) is answered with a JSON error
        // body that tRPC leaves without a content type (so text/plain); streamed answers keep theirs.
        if (errors.length && info?.accept !== 'application/jsonl') headers['content-type'] = 'application/json';
        return { headers };
      },
    });
  };
  // tRPC answers these itself (405 in its shape for all but GET, POST and HEAD). Not TRACE: the
  // WHATWG Request the adapter builds refuses it, so no route answers it (404).
  app.route({
    method: TRPC_METHODS,
    url: '/:path',
    handler,
    config: { surface: 'trpc', metricsRoute: (req) => procedureLabel((req.params as { path: string }).path) },
  });
}
