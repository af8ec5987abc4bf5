import type { Core } from '../../../core/index.js';
import { NotFoundError } from '../../../core/errors.js';
import { isId } from '../../../core/ids.js';
import { decodePageToken, encodePageToken } from '../../../core/paging.js';
import type { Actor, Job, JobStatus, Schedule } from '../../../core/types.js';
import { pageRequest, type PageLimits } from '../../shared/paging.js';

/**
 * Prikke's "jobs" over the core's two kinds: a recurring job is a schedule (`sched_...`), a
 * one-time job a job no schedule spawned (`job_...`). Each keeps its own Tock id, so the same
 * object has one identity on every surface. The jobs a schedule spawns are its executions here,
 * not jobs: their ids answer 404 like unknown ones.
 */
export type PrikkeTarget = { kind: 'recurring'; schedule: Schedule } | { kind: 'one-time'; job: Job };

/** GET /jobs: a page holds every job when there are at most this many. */
export const JOB_LIST_LIMITS: PageLimits = { defaultSize: 200, maxSize: 200 };
/** One-time jobs still to run are listed; finished and cancelled ones stay reachable by id and key. */
const PENDING: readonly JobStatus[] = ['scheduled', 'running'];

function notFound(what: 'id' | 'key', value: string): NotFoundError {
  const err = new NotFoundError('job', value);
  err.message = `No job with ${what} '${value}'`;
  return err;
}

/** A recurring or one-time job by its id. */
export async function findById(core: Core, actor: Actor, id: string): Promise<PrikkeTarget> {
  if (isId('schedule', id)) {
    try {
      return { kind: 'recurring', schedule: await core.schedules.get(actor, id) };
    } catch (err) {
      throw err instanceof NotFoundError ? notFound('id', id) : err;
    }
  }
  if (isId('job', id)) {
    const job = await core.jobs.get(actor, id);
    if (job.scheduleId === null) return { kind: 'one-time', job };
  }
  throw notFound('id', id);
}

/** A job by key: a schedule's key first; else the one-time job with that idempotency key. */
export async function findByKey(core: Core, actor: Actor, key: string): Promise<PrikkeTarget> {
  try {
    return { kind: 'recurring', schedule: await core.schedules.getByKey(actor, key) };
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  try {
    const job = await core.jobs.getByIdempotencyKey(actor, key);
    if (job.scheduleId === null) return { kind: 'one-time', job };
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  throw notFound('key', key);
}

const suffix = (id: string) => id.slice(id.indexOf('_') + 1);
/** The core's page token that continues a kind's list after the (time-ordered) id `after`, whatever kind it was. */
const tokenAfter = (after: string | null, kind: 'sched' | 'job') => (after ? encodePageToken(`${kind}_${suffix(after)}`) : null);

/**
 * Schedules and pending one-time jobs of the project together, oldest first (ids are UUIDv7:
 * their suffixes order both kinds by creation time). The cursor is the core's page token of the
 * last job shown; each kind's list goes on after it, and the two pages are merged.
 */
export async function listJobs(core: Core, actor: Actor, limit: number | undefined, cursor: string | undefined): Promise<{ items: PrikkeTarget[]; next: string | null }> {
  const { pageSize } = pageRequest(limit, null, JOB_LIST_LIMITS);
  const after = decodePageToken(cursor);
  const [schedules, jobs] = await Promise.all([
    core.schedules.list(actor, { pageSize, pageToken: tokenAfter(after, 'sched') }),
    core.jobs.list(actor, { pageSize, pageToken: tokenAfter(after, 'job'), oneTime: true, status: PENDING, order: 'asc' }),
  ]);
  const merged: Array<PrikkeTarget & { id: string }> = [
    ...schedules.items.map((schedule) => ({ kind: 'recurring' as const, schedule, id: schedule.id })),
    ...jobs.items.map((job) => ({ kind: 'one-time' as const, job, id: job.id })),
  ].sort((a, b) => (suffix(a.id) < suffix(b.id) ? -1 : suffix(a.id) > suffix(b.id) ? 1 : 0));
  const page = merged.slice(0, pageSize!);
  const more = merged.length > page.length || schedules.nextPageToken !== null || jobs.nextPageToken !== null;
  return {
    items: page.map(({ id: _id, ...target }) => target as PrikkeTarget),
    next: more && page.length > 0 ? encodePageToken(page[page.length - 1].id) : null,
  };
}
