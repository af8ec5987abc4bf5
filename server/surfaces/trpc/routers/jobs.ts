import type { JobInput } from '../../../core/jobs/service.js';
import * as wire from '../codec.js';
import { coreInput, idInput, idPageInput, jobBatchInput, jobListInput } from '../inputs.js';
import { projectProcedure as p, router } from '../trpc.js';

/** One-time jobs of the project, and the jobs spawned by schedules (tock.v1.JobService). */
export const jobsRouter = router({
  create: p.input(coreInput<JobInput>()).mutation(async ({ ctx, input }) => wire.job(await ctx.core.jobs.create(ctx.actor, input))),
  /** Up to 1,000 jobs in one statement; each result is the job or that job's own error (tock.v1.JobService.CreateJobs). */
  createMany: p.input(jobBatchInput<JobInput>()).mutation(async ({ ctx, input }) => wire.jobBatch(await ctx.core.jobs.createMany(ctx.actor, input.jobs))),
  get: p.input(idInput).query(async ({ ctx, input }) => wire.job(await ctx.core.jobs.get(ctx.actor, input.id))),
  /** Newest first; optionally only one status or one schedule's jobs. */
  list: p.input(jobListInput).query(async ({ ctx, input }) => wire.page(await ctx.core.jobs.list(ctx.actor, input ?? {}), wire.job)),
  cancel: p.input(idInput).mutation(async ({ ctx, input }) => wire.job(await ctx.core.jobs.cancel(ctx.actor, input.id))),
  listExecutions: p
    .input(idPageInput)
    .query(async ({ ctx, input: { id, ...page } }) => wire.page(await ctx.core.jobs.listExecutions(ctx.actor, id, page), wire.execution)),
});
