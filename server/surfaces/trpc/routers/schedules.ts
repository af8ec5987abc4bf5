import type { ScheduleInput, SchedulePatch } from '../../../core/schedules/service.js';
import * as wire from '../codec.js';
import { coreInput, idInput, idPageInput, scheduleListInput, updateInput } from '../inputs.js';
import { projectProcedure as p, router } from '../trpc.js';

/** Schedules of the project: recurring HTTP calls (tock.v1.ScheduleService). */
export const schedulesRouter = router({
  create: p.input(coreInput<ScheduleInput>()).mutation(async ({ ctx, input }) => wire.schedule(await ctx.core.schedules.create(ctx.actor, input))),
  get: p.input(idInput).query(async ({ ctx, input }) => wire.schedule(await ctx.core.schedules.get(ctx.actor, input.id))),
  /** Oldest first; optionally only `active` or only `paused` schedules. */
  list: p.input(scheduleListInput).query(async ({ ctx, input }) => wire.page(await ctx.core.schedules.list(ctx.actor, input ?? {}), wire.schedule)),
  update: p
    .input(updateInput<SchedulePatch>())
    .mutation(async ({ ctx, input }) => wire.schedule(await ctx.core.schedules.update(ctx.actor, input.id, input.patch))),
  delete: p.input(idInput).mutation(async ({ ctx, input }) => {
    await ctx.core.schedules.delete(ctx.actor, input.id);
  }),
  pause: p.input(idInput).mutation(async ({ ctx, input }) => wire.schedule(await ctx.core.schedules.pause(ctx.actor, input.id))),
  resume: p.input(idInput).mutation(async ({ ctx, input }) => wire.schedule(await ctx.core.schedules.resume(ctx.actor, input.id))),
  trigger: p.input(idInput).mutation(async ({ ctx, input }) => wire.job(await ctx.core.schedules.trigger(ctx.actor, input.id))),
  listExecutions: p
    .input(idPageInput)
    .query(async ({ ctx, input: { id, ...page } }) => wire.page(await ctx.core.schedules.listExecutions(ctx.actor, id, page), wire.execution)),
});
