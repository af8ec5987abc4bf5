import type { FastifyReply, FastifyRequest } from 'fastify';
import { uuidOfId } from '../../../core/ids.js';
import type { Page } from '../../../core/types.js';
import { pageRequest } from '../../shared/paging.js';
import { acceptEmptyJsonBody, type Dialect } from '../dialect.js';
import { execution, job, jobInput, jobPatch, jobState, scheduleIdOf } from './codec.js';
import { errorBody } from './errors.js';
import { createBody, executionsQuery, jobParams, listQuery, patchBody, replaceBody } from './schemas.js';

/**
 * Krafter's cron jobs API at `/api/v1/cron/jobs`: a cron job is a Tock schedule (codec.ts).
 * Documented: create, executions, trigger, pause, resume. Added, as its users would expect:
 * list, get, PUT (replace), PATCH (merge) and delete. Every success is `{data: ...}` except
 * trigger's documented `{ok: true}`; lists page with `limit` and `cursor`, the next page named
 * by a `Link: <...>; rel="next"` header so the body stays as documented.
 */
const BASE = '/api/v1/cron/jobs';

/** Sets the Link header of the next page (the request's own query with the next cursor), if there is one. */
function linkNext(req: FastifyRequest, reply: FastifyReply, page: Page<unknown>): void {
  if (!page.nextPageToken) return;
  const url = new URL(req.url, 'http://localhost');
  url.searchParams.set('cursor', page.nextPageToken);
  reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
}

export const krafterDialect: Dialect = {
  name: 'krafter',
  errorBody,
  routes(app, ctx) {
    // The bodiless actions (trigger, pause, resume, delete) come with `Content-Type: application/json` too.
    acceptEmptyJsonBody(app, () => true);

    /** The caller (checked first: no key is 401 whatever the path) and the schedule the path's UUID names. */
    const target = async (req: FastifyRequest, uuid: string) => {
      const actor = await ctx.actor(req);
      return { actor, id: scheduleIdOf(uuid) };
    };

    app.post(BASE, { schema: { summary: 'Create a cron job', body: createBody } }, async (req, reply) => {
      const created = await ctx.core.schedules.create(await ctx.actor(req), jobInput(req.body));
      return reply.code(201).send({ data: job(created) });
    });

    app.get(BASE, { schema: { summary: 'List cron jobs, oldest first', querystring: listQuery } }, async (req, reply) => {
      const { limit, cursor, enabled } = req.query;
      const state = enabled === undefined ? null : enabled === 'true' ? 'active' : 'paused';
      const page = await ctx.core.schedules.list(await ctx.actor(req), { ...pageRequest(limit, cursor), state });
      linkNext(req, reply, page);
      return { data: page.items.map(job) };
    });

    app.get(`${BASE}/:id`, { schema: { summary: 'Get a cron job', params: jobParams } }, async (req) => {
      const { actor, id } = await target(req, req.params.id);
      return { data: job(await ctx.core.schedules.get(actor, id)) };
    });

    app.put(`${BASE}/:id`, { schema: { summary: 'Replace a cron job (fields left out take their defaults)', params: jobParams, body: replaceBody } }, async (req) => {
      const { actor, id } = await target(req, req.params.id);
      return { data: job(await ctx.core.schedules.update(actor, id, jobInput(req.body))) };
    });

    app.patch(`${BASE}/:id`, { schema: { summary: 'Change some fields of a cron job', params: jobParams, body: patchBody } }, async (req) => {
      const { actor, id } = await target(req, req.params.id);
      const patch = await jobPatch(req.body, () => ctx.core.schedules.get(actor, id));
      return { data: job(await ctx.core.schedules.update(actor, id, patch)) };
    });

    app.delete(`${BASE}/:id`, { schema: { summary: 'Delete a cron job (runs not yet sent are cancelled; history is kept)', params: jobParams } }, async (req) => {
      const { actor, id } = await target(req, req.params.id);
      await ctx.core.schedules.delete(actor, id);
      return { data: { id: uuidOfId(id), deleted: true } };
    });

    app.get(
      `${BASE}/:id/executions`,
      { schema: { summary: 'Execution history of a cron job, newest first', params: jobParams, querystring: executionsQuery } },
      async (req, reply) => {
        const { actor, id } = await target(req, req.params.id);
        const page = await ctx.core.schedules.listExecutions(actor, id, pageRequest(req.query.limit, req.query.cursor));
        linkNext(req, reply, page);
        return { data: page.items.map(execution) };
      },
    );

    app.post(`${BASE}/:id/trigger`, { schema: { summary: 'Run a cron job now (its next run stays)', params: jobParams } }, async (req) => {
      const { actor, id } = await target(req, req.params.id);
      await ctx.core.schedules.trigger(actor, id);
      return { ok: true };
    });

    app.post(`${BASE}/:id/pause`, { schema: { summary: 'Pause a cron job', params: jobParams } }, async (req) => {
      const { actor, id } = await target(req, req.params.id);
      return { data: jobState(await ctx.core.schedules.pause(actor, id)) };
    });

    app.post(`${BASE}/:id/resume`, { schema: { summary: 'Resume a paused cron job', params: jobParams } }, async (req) => {
      const { actor, id } = await target(req, req.params.id);
      return { data: jobState(await ctx.core.schedules.resume(actor, id)) };
    });
  },
};
