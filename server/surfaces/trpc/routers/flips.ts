import { z } from 'zod';
import type { FlipSubject } from '../../../core/types.js';
import * as wire from '../codec.js';
import { coreValue, envelope, id } from '../inputs.js';
import { projectProcedure as p, router } from '../trpc.js';

const flipListInput = envelope(
  z
    .object({
      subjectType: coreValue<FlipSubject>(),
      subjectId: id,
      pageSize: z.number().nullish(),
      pageToken: z.string().nullish(),
    })
    .strict(),
);

/** Status changes of a monitor or schedule, newest first, kept whether or not anything was alerted. */
export const flipsRouter = router({
  list: p
    .input(flipListInput)
    .query(async ({ ctx, input }) =>
      wire.page(
        await ctx.core.alerts.listFlips(ctx.actor, input.subjectType, input.subjectId, { pageSize: input.pageSize, pageToken: input.pageToken }),
        wire.flip,
      ),
    ),
});
