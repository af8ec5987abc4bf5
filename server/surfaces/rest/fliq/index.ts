import type { Execution } from '../../../core/types.js';
import { MAX_PAGE_SIZE } from '../../../core/paging.js';
import { pageRequest, pageResponse } from '../../shared/paging.js';
import { executionView, jobView, scheduleView } from '../../shared/views.js';
import { acceptEmptyJsonBody, type Dialect } from '../dialect.js';
import * as codec from './codec.js';
import { fliqErrorBody } from './errors.js';
import { createJobBody, createScheduleBody, idParams, listJobsQuery, listSchedulesQuery } from './schemas.js';

/**
 * Fliq at `/v1`: one-time jobs (`/v1/jobs`), their executions, and cron schedules
 * (`/v1/schedules`). A Fliq job is a Tock job, a Fliq schedule a Tock schedule: the same
 * objects every other surface shows. `GET /v1/schedules/:id` is not in the document and is
 * served as its users would expect.
 */
export const fliqDialect: Dialect = {
  name: 'fliq',
  errorBody: fliqErrorBody,
  routes(app, ctx) {
    const { core } = ctx;

    // A DELETE sent with `Content-Type: application/json` and no body has no body.
    acceptEmptyJsonBody(app, (req) => req.method === 'DELETE');

    app.post('/v1/jobs', { schema: { summary: 'Create a job', body: createJobBody } }, async (req, reply) => {
      const actor = await ctx.actor(req);
      const { job, created } = await core.jobs.createOrGet(actor, codec.jobInputOf(req.body), { future: true });
      // A replayed idempotency key answers the first job with 200, not 201: nothing was created.
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply.code(created ? 201 : 200).send(codec.jobOut(jobView(job)));
    });

    app.get('/v1/jobs/:id', { schema: { summary: 'Get a job', params: idParams } }, async (req) =>
      codec.jobOut(jobView(await core.jobs.get(await ctx.actor(req), req.params.id))),
    );

    app.get('/v1/jobs', { schema: { summary: 'List jobs, newest first', querystring: listJobsQuery } }, async (req) => {
      const { status, limit, cursor } = req.query;
      const page = await core.jobs.list(await ctx.actor(req), {
        ...pageRequest(limit, cursor, codec.FLIQ_PAGE_LIMITS),
        status: status ? codec.JOB_STATUS_FILTER[status] : null,
      });
      return codec.listOut('jobs', pageResponse(page, (j) => codec.jobOut(jobView(j))));
    });

    app.delete('/v1/jobs/:id', { schema: { summary: 'Cancel a job that has not fired', params: idParams } }, async (req) =>
      codec.jobOut(jobView(await core.jobs.cancel(await ctx.actor(req), req.params.id))),
    );

    app.get('/v1/jobs/:id/executions', { schema: { summary: "List a job's executions, first attempt first", params: idParams } }, async (req) => {
      const actor = await ctx.actor(req);
      // A job has at most max_retries + 1 attempts (a few dozen): every one, in one answer.
      const all: Execution[] = [];
      let pageToken: string | null = null;
      do {
        const page = await core.jobs.listExecutions(actor, req.params.id, { pageSize: MAX_PAGE_SIZE, pageToken });
        all.push(...page.items);
        pageToken = page.nextPageToken;
      } while (pageToken);
      return { executions: all.reverse().map((e) => codec.executionOut(executionView(e))) };
    });

    app.post('/v1/schedules', { schema: { summary: 'Create a schedule', body: createScheduleBody } }, async (req, reply) => {
      const schedule = await core.schedules.create(await ctx.actor(req), codec.scheduleInputOf(req.body));
      return reply.code(201).send(codec.scheduleOut(scheduleView(schedule)));
    });

    app.get('/v1/schedules', { schema: { summary: 'List schedules, oldest first', querystring: listSchedulesQuery } }, async (req) => {
      const page = await core.schedules.list(await ctx.actor(req), pageRequest(req.query.limit, req.query.cursor, codec.FLIQ_PAGE_LIMITS));
      return codec.listOut('schedules', pageResponse(page, (s) => codec.scheduleOut(scheduleView(s))));
    });

    app.get('/v1/schedules/:id', { schema: { summary: 'Get a schedule', params: idParams } }, async (req) =>
      codec.scheduleOut(scheduleView(await core.schedules.get(await ctx.actor(req), req.params.id))),
    );

    app.delete('/v1/schedules/:id', { schema: { summary: 'Delete a schedule; its unsent runs are cancelled', params: idParams } }, async (req) => {
      await core.schedules.delete(await ctx.actor(req), req.params.id);
      return { id: req.params.id, deleted: true };
    });
  },
};
