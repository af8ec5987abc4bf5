import type { IncomingMessage, ServerResponse } from 'node:http';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import type { Core } from '../../core/index.js';
import { RateLimitedError } from '../../core/errors.js';
import { createContext } from './context.js';
import { needsLogging, type TrpcLogger } from './errors.js';
import { appRouter } from './router.js';

export interface TrpcHandlerOptions {
  core: Core;
  logger: TrpcLogger;
  /** Path prefix the handler is mounted at. Default `/trpc`. */
  prefix?: string;
  /** Largest request body in bytes (a batch of calls counts once). Default 4 MiB. */
  maxBodySize?: number;
}

/** The most calls one batched request may carry; `@tock/client` sends at most this many. */
export const MAX_BATCH_SIZE = 50;

function sendNotFound(res: ServerResponse, pathname: string): void {
  const body = JSON.stringify({ error: { code: 'not_found', message: `No tRPC route for ${pathname}` } });
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The tRPC surface as a Node request handler for paths under `prefix` (`/trpc/schedules.get`,
 * batches as `/trpc/schedules.get,jobs.list?batch=1`). Resolves once the response is sent or
 * the connection is gone; never rejects.
 */
export function createTrpcHandler(opts: TrpcHandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { core, logger } = opts;
  const prefix = `/${(opts.prefix ?? '/trpc').replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');
  const maxBodySize = opts.maxBodySize ?? 4 * 1024 * 1024;

  return (req, res) => {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) {
      sendNotFound(res, pathname);
      return Promise.resolve();
    }
    const path = pathname.slice(prefix.length).replace(/^\/+|\/+$/g, '');
    return new Promise<void>((resolve) => {
      res.once('close', () => resolve());
      void nodeHTTPRequestHandler({
        router: appRouter,
        req,
        res,
        path,
        maxBodySize,
        maxBatchSize: MAX_BATCH_SIZE,
        createContext: ({ req: r }) => createContext(core, logger, r),
        onError({ error, path: procedure }) {
          if (needsLogging(error)) logger.error({ err: error.cause, path: procedure }, 'unhandled error in tRPC request');
        },
        responseMeta({ errors }) {
          const limited = errors.map((e) => e.cause).find((c): c is RateLimitedError => c instanceof RateLimitedError);
          return limited ? { headers: { 'retry-after': String(Math.max(1, Math.ceil(limited.retryAfterMs / 1000))) } } : {};
        },
      }).then(() => resolve());
    });
  };
}
