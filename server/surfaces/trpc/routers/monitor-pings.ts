import * as wire from '../codec.js';
import { idPageInput } from '../inputs.js';
import { projectProcedure as p, router } from '../trpc.js';

/** A monitor's ping log, newest first (merged into `monitors`). */
export const monitorPingsRouter = router({
  listPings: p
    .input(idPageInput)
    .query(async ({ ctx, input }) =>
      wire.page(await ctx.core.monitors.listPings(ctx.actor, input.id, { pageSize: input.pageSize, pageToken: input.pageToken }), wire.ping),
    ),
});
