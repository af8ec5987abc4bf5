import { idInput } from '../inputs.js';
import { accountProcedure as p, router } from '../trpc.js';

/**
 * The project's ping key (`/ping/<ping key>/<monitor key>`), merged into `projects`. Needs
 * `write:monitors`: the key lets its holder ping (and with `?create=1` create) any monitor.
 */
export const projectPingKeysRouter = router({
  getPingKey: p.input(idInput).query(async ({ ctx, input }) => ({ pingKey: await ctx.core.projects.getPingKey(ctx.principal, input.id) })),
  /** URLs with the old key stop working at once; token URLs are unaffected. */
  rotatePingKey: p.input(idInput).mutation(async ({ ctx, input }) => ({ pingKey: await ctx.core.projects.rotatePingKey(ctx.principal, input.id) })),
});
