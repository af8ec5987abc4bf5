import { initTRPC } from '@trpc/server';
import { boundedMessage } from '../../core/errors.js';
import type { TrpcContext } from './context.js';
import { INTERNAL_MESSAGE, tockErrorData, toTRPCError } from './errors.js';

/**
 * The one tRPC instance of the surface. Plain JSON on the wire (no transformer): dates travel
 * as ISO strings, made explicit by `codec.ts`. Every error response carries the core's stable
 * code in `shape.data.tockCode` (plus `field` and `retryAfterMs`) so clients can rebuild typed
 * errors; internal errors never carry more than "internal error".
 */
const t = initTRPC.context<TrpcContext>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    const internal = error.code === 'INTERNAL_SERVER_ERROR';
    return {
      message: internal ? INTERNAL_MESSAGE : boundedMessage(shape.message),
      code: shape.code,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path ?? null,
        ...tockErrorData(error),
      },
    };
  },
});

/** Builds a router (of procedures or of routers). */
export const router = t.router;
/** Joins routers of one namespace kept in separate files. */
export const mergeRouters = t.mergeRouters;

/** Outermost middleware of every procedure: maps whatever failed below it, in one place. */
const mapErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (result.ok) return result;
  throw toTRPCError(result.error, ctx.logger, { path });
});

const baseProcedure = t.procedure.use(mapErrors);

/** Needs a valid key; acts on the account (projects and keys). */
export const accountProcedure = baseProcedure.use(async ({ ctx, next }) => {
  const principal = await ctx.core.authenticate(ctx.identity.apiKey);
  return next({ ctx: { principal } });
});

/** Needs a valid key and acts on one project: `X-Tock-Project`, the key's own, or the account's default. */
export const projectProcedure = accountProcedure.use(async ({ ctx, next }) => {
  const actor = await ctx.core.actor(ctx.principal, ctx.identity.projectId);
  return next({ ctx: { actor } });
});
