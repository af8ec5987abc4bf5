import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasScope } from '../../../core/auth/scopes.js';
import { MAX_PAGE_SIZE } from '../../../core/paging.js';
import type { Actor, Page, PageRequest, Principal, Schedule } from '../../../core/types.js';
import type { Dialect } from '../dialect.js';
import {
  heartbeatOfNew,
  heartbeatOfUpdate,
  jobJson,
  projectInput,
  projectJson,
  projectPatch,
  scheduleInput,
  schedulePatch,
  type JobJson,
  type ProjectJson,
} from './codec.js';
import { errorBody } from './errors.js';
import { idParams, jobCreateBody, jobListQuery, jobUpdateBody, projectCreateBody, projectUpdateBody } from './schemas.js';

/**
 * The CronPulse API (`/api/v1/projects`, `/api/v1/jobs`), as its document describes it: bare
 * objects and arrays, `{"error": "message"}`, the key in `X-API-Key` (or `Authorization:
 * Bearer`), the document's permissions as Tock's scopes. What the document leaves open, as its
 * users would expect it (docs/rest-cronpulse.md): creates answer 201 with the object, updates
 * 200 with it, deletes 200 `{"success": true}`; `GET /projects/:id` exists; `GET /jobs` without
 * `projectId` lists the jobs of every project the key reaches; deleting a project takes its jobs
 * and their history, even the account's last project; deleting a job takes its history.
 */

const API = '/api/v1';

/** Every page of a list: the document's lists are whole arrays. */
async function all<T>(list: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let pageToken: string | null = null;
  do {
    const page = await list({ pageSize: MAX_PAGE_SIZE, pageToken });
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return items;
}

export const cronpulseDialect: Dialect = {
  name: 'cronpulse',
  errorBody,
  routes(app, ctx) {
    const { core } = ctx;

    /** The schedules with their heartbeats, as CronPulse jobs. */
    async function jobs(who: Actor | Principal, schedules: Schedule[]): Promise<JobJson[]> {
      const beats = await core.schedules.heartbeats(who, schedules.map((s) => s.id));
      return schedules.map((s) => {
        const m = beats.get(s.id);
        return jobJson(s, m ? { monitor: m, pingUrl: core.monitors.pingUrl(m) } : null);
      });
    }

    async function job(actor: Actor, s: Schedule): Promise<JobJson> {
      return (await jobs(actor, [s]))[0];
    }

    /** The key acting on the project of job `id` (another tenant's job: not found). */
    async function jobActor(req: FastifyRequest, id: string): Promise<Actor> {
      const principal = await ctx.principal(req);
      return core.actor(principal, await core.schedules.projectOf(principal, id));
    }

    /** A project with its jobs' summaries, when the key may read jobs. */
    async function project(principal: Principal, id: string): Promise<ProjectJson> {
      const p = await core.projects.get(principal, id);
      if (!hasScope(principal.scopes, 'read:jobs')) return projectJson(p, null);
      const actor = await core.actor(principal, p.id);
      return projectJson(p, await all((page) => core.schedules.list(actor, page)));
    }

    const created = <T>(reply: FastifyReply, body: T) => reply.code(201).send(body);
    const deleted = { success: true };

    // ---- projects ----

    app.get(`${API}/projects`, { schema: { summary: 'List projects, each with its jobs' } }, async (req) => {
      const principal = await ctx.principal(req);
      const projects = await all((page) => core.projects.list(principal, page));
      if (!hasScope(principal.scopes, 'read:jobs')) return projects.map((p) => projectJson(p, null));
      const byProject = new Map<string, Schedule[]>(projects.map((p) => [p.id, []]));
      for (const s of await all((page) => core.schedules.listAcross(principal, page))) byProject.get(s.projectId)?.push(s);
      return projects.map((p) => projectJson(p, byProject.get(p.id)!));
    });

    app.post(`${API}/projects`, { schema: { summary: 'Create a project', body: projectCreateBody } }, async (req, reply) => {
      const p = await core.projects.create(await ctx.principal(req), projectInput(req.body));
      return created(reply, projectJson(p, []));
    });

    app.get(`${API}/projects/:id`, { schema: { summary: 'Get a project with its jobs (not in the document)', params: idParams } }, async (req) =>
      project(await ctx.principal(req), req.params.id),
    );

    app.put(`${API}/projects/:id`, { schema: { summary: 'Update a project (the fields given)', params: idParams, body: projectUpdateBody } }, async (req) => {
      const principal = await ctx.principal(req);
      await core.projects.update(principal, req.params.id, projectPatch(req.body ?? {}));
      return project(principal, req.params.id);
    });

    app.delete(`${API}/projects/:id`, { schema: { summary: 'Delete a project with its jobs and their history', params: idParams } }, async (req) => {
      await core.projects.delete(await ctx.principal(req), req.params.id, { allowLast: true });
      return deleted;
    });

    // ---- jobs ----

    app.get(`${API}/jobs`, { schema: { summary: "List jobs of a project (without projectId: of every project the key reaches)", querystring: jobListQuery } }, async (req) => {
      const principal = await ctx.principal(req);
      const { projectId } = req.query;
      if (projectId === undefined) return jobs(principal, await all((page) => core.schedules.listAcross(principal, page)));
      const actor = await core.actor(principal, projectId);
      return jobs(actor, await all((page) => core.schedules.list(actor, page)));
    });

    app.post(`${API}/jobs`, { schema: { summary: 'Create a job', body: jobCreateBody } }, async (req, reply) => {
      const actor = await core.actor(await ctx.principal(req), req.body.projectId);
      const s = await core.schedules.create(actor, scheduleInput(req.body), { heartbeat: heartbeatOfNew(req.body) });
      return created(reply, await job(actor, s));
    });

    app.get(`${API}/jobs/:id`, { schema: { summary: 'Get a job', params: idParams } }, async (req) => {
      const actor = await jobActor(req, req.params.id);
      return job(actor, await core.schedules.get(actor, req.params.id));
    });

    app.put(`${API}/jobs/:id`, { schema: { summary: 'Update a job (the fields given)', params: idParams, body: jobUpdateBody } }, async (req, reply) => {
      const { id } = req.params;
      const actor = await jobActor(req, id);
      const body = req.body ?? {};
      if (body.projectId !== undefined && body.projectId !== actor.projectId) {
        return ctx.reject(reply, 400, 'invalid_argument', 'a job cannot move to another project; create it there and delete this one', 'project_id');
      }
      const current = (await core.schedules.heartbeats(actor, [id])).get(id) ?? null;
      const s = await core.schedules.update(actor, id, schedulePatch(body), { heartbeat: heartbeatOfUpdate(body, current) });
      return job(actor, s);
    });

    app.delete(`${API}/jobs/:id`, { schema: { summary: 'Delete a job with its execution history', params: idParams } }, async (req) => {
      const actor = await jobActor(req, req.params.id);
      await core.schedules.delete(actor, req.params.id, { history: true });
      return deleted;
    });

    // Anything else under the dialect's paths is no route, said in its error shape.
    const noRoute = (req: FastifyRequest, reply: FastifyReply) =>
      ctx.reject(reply, 404, 'not_found', `No route for ${req.method} ${req.url.split('?')[0].slice(0, 200)}`);
    const hidden = { schema: { hide: true } };
    app.route({ method: ['PUT', 'PATCH', 'DELETE'], url: `${API}/projects`, ...hidden, handler: noRoute });
    app.route({ method: ['PUT', 'PATCH', 'DELETE'], url: `${API}/jobs`, ...hidden, handler: noRoute });
    app.all(`${API}/projects/*`, hidden, noRoute);
    app.all(`${API}/jobs/*`, hidden, noRoute);
  },
};
