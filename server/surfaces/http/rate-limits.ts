import type { CreateRateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.js';

/** One limit on a group of routes: at most `max` requests per `windowMs` for each key. */
export interface RateLimit {
  /** 0 turns the limit off. */
  max: number;
  windowMs: number;
  /** The bucket a request counts in; default the client IP (IPv6 by its /64). */
  key?: (req: FastifyRequest) => string;
  /** Names what was exceeded, for the 429 message: `Too many pings for this token`. */
  what: string;
  /** The window in words, for the 429 message: `a minute`. */
  per: string;
}

/**
 * An onRequest hook that counts each request against every limit in order and answers the
 * first one exceeded with 429, `Retry-After` and the error shape, before any body is read or
 * anything is stored. Counting is per process, in `@fastify/rate-limit`'s local store: each
 * limit remembers at most `keys` buckets (least recently used forgotten first), so its memory
 * stays bounded whatever the number of tokens or addresses seen. Needs `@fastify/rate-limit`
 * registered on an enclosing context. The hook's limits are shared by every route it is put on.
 */
export function rateLimitHook(
  app: FastifyInstance,
  limits: RateLimit[],
  keys: number,
  /** How the 429 is sent; default Tock's own error shape. A REST dialect passes its own. */
  reject: (reply: FastifyReply, status: number, code: string, message: string) => FastifyReply = sendError,
) {
  const checks = limits
    .filter((l) => l.max > 0)
    .map((l) => {
      // `cache` (the bound on keys) is honoured by createRateLimit but missing from its option type.
      const options = { max: l.max, timeWindow: l.windowMs, cache: keys, ...(l.key ? { keyGenerator: l.key } : {}) } as CreateRateLimitOptions;
      return { limit: l, check: app.createRateLimit(options) };
    });
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    for (const { limit, check } of checks) {
      const r = await check(req);
      if (r.isAllowed || !r.isExceeded) continue;
      const retryAfter = Math.max(1, r.ttlInSeconds);
      reject(
        reply.header('retry-after', String(retryAfter)),
        429,
        'rate_limited',
        `${limit.what}: at most ${limit.max} ${limit.per}; retry in ${retryAfter} s`,
      );
      return reply;
    }
    return undefined;
  };
}
