import { z } from 'zod';
import type { AlertSubject } from '../../../core/types.js';
import * as wire from '../codec.js';
import { coreValue, envelope, id } from '../inputs.js';
import { projectProcedure as p, router } from '../trpc.js';

const alertListInput = envelope(
  z
    .object({
      subjectType: coreValue<AlertSubject>(),
      subjectId: id,
      pageSize: z.number().nullish(),
      pageToken: z.string().nullish(),
    })
    .strict(),
);

/** Alerts (one per event and channel) about a monitor, schedule or job, newest first. */
export const alertsRouter = router({
  list: p
    .input(alertListInput)
    .query(async ({ ctx, input }) =>
      wire.page(
        await ctx.core.alerts.list(ctx.actor, input.subjectType, input.subjectId, { pageSize: input.pageSize, pageToken: input.pageToken }),
        wire.alert,
      ),
    ),
});
