import type { FastifyRequest } from 'fastify';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, PermissionDeniedError } from '../../../core/errors.js';
import type { SyncInput } from '../../../core/index.js';
import { sameValue } from '../../../core/sync/diff.js';
import type { Actor, Principal } from '../../../core/types.js';
import { pageRequest, TOCK_PAGE_LIMITS } from '../../shared/paging.js';
import type { Dialect, DialectContext } from '../dialect.js';
import {
  fromExecution,
  fromJob,
  fromProject,
  fromSchedule,
  jobInputOf,
  kindOf,
  patchedFields,
  projectPatchOf,
  scheduleInputOf,
  schedulePatchOf,
  settingsOf,
  syncEntryOf,
  type PrikkeJob,
  type PrikkeNotifications,
} from './codec.js';
import { errorBody } from './errors.js';
import { findById, findByKey, listJobs, type PrikkeTarget } from './jobs.js';
import { createJobBody, idParams, keyParams, pageQuery, patchJobBody, projectBody, syncBody } from './schemas.js';

/**
 * The Prikke API at the root of the HTTP port: `PUT /sync`, `/jobs` (recurring and one-time
 * jobs), `/jobs/:id/executions`, `/project`. Routes translate through the codec and call the
 * core; every failure is rendered by `errorBody`. See docs/rest-prikke.md for what is supported
 * and where Tock differs.
 */

const view = (t: PrikkeTarget): PrikkeJob => (t.kind === 'recurring' ? fromSchedule(t.schedule) : fromJob(t.job));

/** A schedule's key taken elsewhere, said of a job (what a Prikke caller calls it). */
async function asJob<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof AlreadyExistsError && err.resource === 'schedule') throw new AlreadyExistsError('job', err.field, err.value);
    throw err;
  }
}

/**
 * The key of each request, checked when the request arrives (before its body is read or
 * validated): a caller without a valid key gets 401 whatever it sent, and a stranger's body is
 * never parsed.
 */
const principals = new WeakMap<FastifyRequest, Principal>();

/** The key acting on its project, and the same key as a principal (project settings are reached through it). */
async function callerOf(ctx: DialectContext, req: FastifyRequest): Promise<{ principal: Principal; actor: Actor }> {
  const principal = principals.get(req) ?? (await ctx.principal(req));
  return { principal, actor: await ctx.core.actor(principal, ctx.identity(req).projectId) };
}

/** `{field: {from, to}}` for each of `fields` whose value differs. */
function changesOf<T extends object>(before: T, after: T, fields: ReadonlyArray<keyof T & string>, name: (f: keyof T & string) => string = (f) => f) {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const f of fields) if (!sameValue(before[f], after[f])) out[name(f)] = { from: before[f], to: after[f] };
  return out;
}

export const prikkeDialect: Dialect = {
  name: 'prikke',
  errorBody,
  routes(app, ctx) {
    const { core } = ctx;
    const actorOf = async (req: FastifyRequest) => (await callerOf(ctx, req)).actor;
    app.addHook('onRequest', async (req) => {
      principals.set(req, await ctx.principal(req));
    });

    app.put('/sync', { schema: { body: syncBody, summary: 'Sync the whole project configuration (idempotent, matched by key)' } }, async (req) => {
      const { principal, actor } = await callerOf(ctx, req);
      const b = req.body;
      const input: SyncInput = {};
      if (b.jobs !== undefined) input.schedules = b.jobs.map(syncEntryOf);
      if (b.notifications !== undefined) input.project = settingsOf(b.notifications);
      const r = await core.sync.apply(actor, input, { prune: b.delete_removed ?? false });
      const keys = (items: Array<{ key: string }>) => items.map((i) => i.key);
      let notifications: PrikkeNotifications | undefined;
      if (r.project) notifications = fromProject(r.project.object);
      else {
        // Not named: shown as they are, to a key that may read them.
        try {
          notifications = fromProject(await core.projects.get(principal, actor.projectId));
        } catch (err) {
          if (!(err instanceof PermissionDeniedError)) throw err;
        }
      }
      return {
        created: keys(r.schedules.created),
        updated: keys(r.schedules.updated),
        deleted: keys(r.schedules.deleted),
        unchanged: keys(r.schedules.unchanged),
        jobs: r.schedules.objects.map(fromSchedule),
        ...(notifications ? { notifications } : {}),
      };
    });

    app.post('/jobs', { schema: { body: createJobBody, summary: 'Create a recurring (cron) or one-time (run_at) job' } }, async (req) => {
      const actor = await actorOf(req);
      const b = req.body;
      if (kindOf(b) === 'recurring') return { job: fromSchedule(await asJob(core.schedules.create(actor, scheduleInputOf(b)))) };
      // A key used before for the same call returns that job (a retried create); for another call, 409.
      return { job: fromJob((await core.jobs.createOrGet(actor, jobInputOf(b))).job) };
    });

    app.get('/jobs', { schema: { querystring: pageQuery, summary: 'List recurring jobs and pending one-time jobs, oldest first' } }, async (req) => {
      const actor = await actorOf(req);
      const page = await listJobs(core, actor, req.query.limit, req.query.cursor);
      return { jobs: page.items.map(view), next_cursor: page.next };
    });

    app.get('/jobs/key/:key', { schema: { params: keyParams, summary: 'Get a job by key' } }, async (req) => {
      return { job: view(await findByKey(core, await actorOf(req), req.params.key)) };
    });

    app.get('/jobs/:id', { schema: { params: idParams, summary: 'Get a job by id' } }, async (req) => {
      return { job: view(await findById(core, await actorOf(req), req.params.id)) };
    });

    app.patch('/jobs/:id', { schema: { params: idParams, body: patchJobBody, summary: 'Update a recurring job; returns what changed' } }, async (req) => {
      const actor = await actorOf(req);
      const target = await findById(core, actor, req.params.id);
      if (target.kind === 'one-time') {
        throw new FailedPreconditionError(`Job '${req.params.id}' is a one-time job (run_at) and cannot be changed: DELETE it and POST a new one`);
      }
      const b = req.body;
      if (b.run_at != null) {
        throw new InvalidArgumentError('run_at: a recurring job cannot become a one-time job; DELETE it and POST a job with run_at', 'run_at');
      }
      const before = fromSchedule(target.schedule);
      const job = fromSchedule(await asJob(core.schedules.update(actor, target.schedule.id, schedulePatchOf(b))));
      return { job, changes: changesOf(before, job, patchedFields(b)) };
    });

    app.delete('/jobs/:id', { schema: { params: idParams, summary: 'Delete a job and cancel its pending runs' } }, async (req) => {
      const actor = await actorOf(req);
      const target = await findById(core, actor, req.params.id);
      if (target.kind === 'recurring') {
        // The core's delete cancels the ticks not yet sent; history stays.
        await core.schedules.delete(actor, target.schedule.id);
        return { deleted: true, job: fromSchedule(target.schedule) };
      }
      // A one-time job is cancelled (its row and history stay); one that already ran answers 409.
      return { deleted: true, job: fromJob(await core.jobs.cancel(actor, target.job.id)) };
    });

    app.get(
      '/jobs/:id/executions',
      { schema: { params: idParams, querystring: pageQuery, summary: 'Execution history of a job, newest first' } },
      async (req) => {
        const actor = await actorOf(req);
        const target = await findById(core, actor, req.params.id);
        const page = pageRequest(req.query.limit, req.query.cursor, TOCK_PAGE_LIMITS);
        const p =
          target.kind === 'recurring' ? await core.schedules.listExecutions(actor, target.schedule.id, page) : await core.jobs.listExecutions(actor, target.job.id, page);
        return { executions: p.items.map(fromExecution), next_cursor: p.nextPageToken };
      },
    );

    app.get('/project', { schema: { summary: 'Project settings (notifications)' } }, async (req) => {
      const { principal, actor } = await callerOf(ctx, req);
      return { notifications: fromProject(await core.projects.get(principal, actor.projectId)) };
    });

    app.put('/project', { schema: { body: projectBody, summary: 'Update project settings; returns what changed' } }, async (req) => {
      const { principal, actor } = await callerOf(ctx, req);
      const before = fromProject(await core.projects.get(principal, actor.projectId));
      const after = fromProject(await core.projects.update(principal, actor.projectId, projectPatchOf(req.body.notifications)));
      return { notifications: after, changes: changesOf(before, after, ['email', 'webhook_url'], (f) => `notifications.${f}`) };
    });
  },
};
