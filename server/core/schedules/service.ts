import { z } from 'zod';
import { JobEntity, ScheduleEntity } from '../../store/entities.js';
import { findPage } from '../../store/pages.js';
import { listExecutions } from '../executions/history.js';
import { isUniqueViolation } from '../../store/errors.js';
import { cancelScheduleJobs } from '../../store/job-transitions.js';
import { requireScope } from '../auth/scopes.js';
import type { CoreDeps } from '../deps.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { isId, newId } from '../ids.js';
import { shardOf } from '../shard.js';
import type { Actor, Execution, Job, Page, PageRequest, Schedule, ScheduleState } from '../types.js';
import {
  backoffMs,
  body,
  checkHttpUrl,
  email,
  expectedStatus,
  headers,
  httpMethod,
  maxRetries,
  name,
  parse,
  timeoutMs,
  userKey,
} from '../validation.js';
import { runJob } from './runs.js';
import { checkCron, checkInterval, checkTimezone, nextRunAfter } from './timing.js';

const fields = {
  key: userKey.nullish(),
  name: name.optional(),
  description: z.string().max(2000).nullish(),
  url: z.string(),
  method: httpMethod.optional(),
  headers: headers.optional(),
  body: body.nullish(),
  cron: z.string().nullish(),
  timezone: z.string().nullish(),
  intervalSeconds: z.number().nullish(),
  timeoutMs: timeoutMs.optional(),
  maxRetries: maxRetries.optional(),
  retryBackoffMs: backoffMs.optional(),
  retryBackoffMaxMs: backoffMs.optional(),
  expectedStatus: expectedStatus.optional(),
  overlap: z.enum(['allow', 'forbid'], { message: "must be 'allow' or 'forbid'" }).optional(),
  misfire: z.enum(['fire_once', 'skip'], { message: "must be 'fire_once' or 'skip'" }).optional(),
  state: z.enum(['active', 'paused'], { message: "must be 'active' or 'paused'" }).optional(),
  alertEmail: email.nullish(),
  alertWebhook: z.string().nullish(),
  alertOnFailure: z.boolean().optional(),
  alertOnRecovery: z.boolean().optional(),
};

export const scheduleInput = z.object(fields).strict();
export const schedulePatch = z.object({ ...fields, url: z.string().optional() }).strict();
export type ScheduleInput = z.input<typeof scheduleInput>;
export type SchedulePatch = z.input<typeof schedulePatch>;

export const SCHEDULE_DEFAULTS = {
  method: 'POST',
  timezone: 'UTC',
  timeoutMs: 30_000,
  maxRetries: 0,
  retryBackoffMs: 1_000,
  retryBackoffMaxMs: 300_000,
  overlap: 'allow',
  misfire: 'fire_once',
} as const;

/** Checks the fields that need more than a shape (URL, cron, time zone, trigger choice). */
function checkSchedule(s: Schedule): void {
  s.url = checkHttpUrl(s.url);
  if (s.alertWebhook) s.alertWebhook = checkHttpUrl(s.alertWebhook, 'alert_webhook');
  s.timezone = checkTimezone(s.timezone);
  if (s.cron && s.intervalSeconds !== null) {
    throw new InvalidArgumentError('Set either cron or interval_seconds, not both', 'cron');
  }
  if (!s.cron && s.intervalSeconds === null) {
    throw new InvalidArgumentError('Set cron (5 or 6 fields) or interval_seconds', 'cron');
  }
  if (s.cron) s.cron = checkCron(s.cron, s.timezone);
  else checkInterval(s.intervalSeconds!);
  if (s.retryBackoffMaxMs < s.retryBackoffMs) {
    throw new InvalidArgumentError('retry_backoff_max_ms: must be at least retry_backoff_ms', 'retry_backoff_max_ms');
  }
}

function defaultName(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname === '/' ? '' : u.pathname}`.slice(0, 200);
}

export class ScheduleService {
  constructor(private readonly deps: CoreDeps) {}

  async create(actor: Actor, input: ScheduleInput): Promise<Schedule> {
    requireScope(actor.scopes, 'write:jobs');
    const p = parse(scheduleInput, input);
    const now = this.deps.clock.now();
    const id = newId('schedule');
    const s: Schedule = {
      id,
      projectId: actor.projectId,
      shard: shardOf(id),
      key: p.key ?? null,
      name: '',
      description: p.description ?? null,
      url: p.url,
      method: p.method ?? SCHEDULE_DEFAULTS.method,
      headers: p.headers ?? {},
      body: p.body ?? null,
      cron: p.cron ?? null,
      timezone: p.timezone ?? SCHEDULE_DEFAULTS.timezone,
      intervalSeconds: p.intervalSeconds ?? null,
      timeoutMs: p.timeoutMs ?? SCHEDULE_DEFAULTS.timeoutMs,
      maxRetries: p.maxRetries ?? SCHEDULE_DEFAULTS.maxRetries,
      retryBackoffMs: p.retryBackoffMs ?? SCHEDULE_DEFAULTS.retryBackoffMs,
      retryBackoffMaxMs: p.retryBackoffMaxMs ?? SCHEDULE_DEFAULTS.retryBackoffMaxMs,
      expectedStatus: p.expectedStatus ?? [],
      overlap: p.overlap ?? SCHEDULE_DEFAULTS.overlap,
      misfire: p.misfire ?? SCHEDULE_DEFAULTS.misfire,
      state: p.state ?? 'active',
      nextRunAt: null,
      lastRunAt: null,
      lastStatus: null,
      alertEmail: p.alertEmail ?? null,
      alertWebhook: p.alertWebhook ?? null,
      alertOnFailure: p.alertOnFailure ?? true,
      alertOnRecovery: p.alertOnRecovery ?? true,
      createdAt: now,
      updatedAt: now,
    };
    checkSchedule(s);
    s.name = p.name ?? p.key ?? defaultName(s.url);
    s.nextRunAt = s.state === 'active' ? nextRunAfter(s, now) : null;
    try {
      await this.deps.db.em().insert(ScheduleEntity, s);
    } catch (err) {
      if (isUniqueViolation(err, 'schedules_project_key_uq')) throw new AlreadyExistsError('schedule', 'key', s.key!);
      throw err;
    }
    this.wake(s);
    return s;
  }

  async get(actor: Actor, id: string): Promise<Schedule> {
    requireScope(actor.scopes, 'read:jobs');
    return this.load(actor, id);
  }

  async getByKey(actor: Actor, key: string): Promise<Schedule> {
    requireScope(actor.scopes, 'read:jobs');
    const row = await this.deps.db.em().findOne(ScheduleEntity, { projectId: actor.projectId, key });
    if (!row) throw new NotFoundError('schedule', key);
    return row;
  }

  async list(actor: Actor, page: PageRequest & { state?: ScheduleState | null } = {}): Promise<Page<Schedule>> {
    requireScope(actor.scopes, 'read:jobs');
    if (page.state && page.state !== 'active' && page.state !== 'paused') {
      throw new InvalidArgumentError("state: must be 'active' or 'paused'", 'state');
    }
    return findPage(this.deps.db.em(), ScheduleEntity, { projectId: actor.projectId, ...(page.state ? { state: page.state } : {}) }, page, 'asc');
  }

  /**
   * Applies a patch: absent fields stay, `null` clears a nullable field. Setting `cron` clears
   * `interval_seconds` and the reverse, so a caller can switch trigger kinds with one field.
   * The next run is recomputed from now when the trigger or the state changes.
   */
  async update(actor: Actor, id: string, patch: SchedulePatch): Promise<Schedule> {
    requireScope(actor.scopes, 'write:jobs');
    const p = parse(schedulePatch, patch);
    const current = await this.load(actor, id);
    const next: Schedule = { ...current };
    for (const [k, v] of Object.entries(p)) {
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    }
    if (p.cron && p.intervalSeconds === undefined) next.intervalSeconds = null;
    if (p.intervalSeconds != null && p.cron === undefined) next.cron = null;
    if (p.timezone === null) next.timezone = SCHEDULE_DEFAULTS.timezone;
    if (p.name === undefined && p.key && current.name === current.key) next.name = p.key;
    checkSchedule(next);
    const now = this.deps.clock.now();
    const triggerChanged =
      next.cron !== current.cron || next.timezone !== current.timezone || next.intervalSeconds !== current.intervalSeconds;
    if (next.state === 'paused') next.nextRunAt = null;
    else if (triggerChanged || current.state !== 'active' || !current.nextRunAt) next.nextRunAt = nextRunAfter(next, now);
    next.updatedAt = now;
    const { id: _id, projectId: _p, shard: _s, createdAt: _c, ...changes } = next;
    // A patch that pauses cancels the claimed, undispatched ticks like pause() does.
    const pausing = current.state === 'active' && next.state === 'paused';
    let cancelled: Array<{ id: string; shard: number }> = [];
    try {
      if (pausing) {
        cancelled = await this.deps.db.em().transactional(async (em) => {
          await em.nativeUpdate(ScheduleEntity, { id, projectId: actor.projectId }, changes);
          return cancelScheduleJobs(em, { scheduleId: id, all: false, at: now });
        });
      } else {
        await this.deps.db.em().nativeUpdate(ScheduleEntity, { id, projectId: actor.projectId }, changes);
      }
    } catch (err) {
      if (isUniqueViolation(err, 'schedules_project_key_uq')) throw new AlreadyExistsError('schedule', 'key', next.key!);
      throw err;
    }
    this.tellCancelled(cancelled);
    this.wake(next);
    return next;
  }

  /**
   * Deletes the schedule; its jobs that have not been sent (`scheduled`, or claimed by the timer
   * and not yet dispatched) are cancelled, history stays. The schedule row is locked first: a
   * claim of its ticks in flight commits before, and none can follow.
   */
  async delete(actor: Actor, id: string): Promise<void> {
    requireScope(actor.scopes, 'write:jobs');
    await this.load(actor, id);
    const now = this.deps.clock.now();
    const cancelled = await this.deps.db.em().transactional(async (em) => {
      const locked = await em.execute<Array<{ id: string }>>(`select id from schedules where id = ? and project_id = ? for update`, [
        id,
        actor.projectId,
      ]);
      if (locked.length === 0) return [];
      const rows = await cancelScheduleJobs(em, { scheduleId: id, all: true, at: now });
      await em.nativeDelete(ScheduleEntity, { id, projectId: actor.projectId });
      return rows;
    });
    this.tellCancelled(cancelled);
  }

  async pause(actor: Actor, id: string): Promise<Schedule> {
    return this.setState(actor, id, 'paused');
  }

  async resume(actor: Actor, id: string): Promise<Schedule> {
    return this.setState(actor, id, 'active');
  }

  private async setState(actor: Actor, id: string, state: ScheduleState): Promise<Schedule> {
    requireScope(actor.scopes, 'write:jobs');
    const s = await this.load(actor, id);
    if (s.state === state) return s;
    const now = this.deps.clock.now();
    // Resuming computes the next run from now: ticks missed while paused are not caught up.
    const nextRunAt = state === 'active' ? nextRunAfter(s, now) : null;
    // Pausing also cancels the ticks the timer claimed ahead but has not dispatched, in the
    // same transaction, after the schedule row is updated (locked): a claim in flight commits
    // first (its ticks are then seen here), and later claims find the schedule paused.
    const { changed, cancelled } = await this.deps.db.em().transactional(async (em) => {
      const changed = await em.nativeUpdate(ScheduleEntity, { id, projectId: actor.projectId, state: s.state }, { state, nextRunAt, updatedAt: now });
      const cancelled =
        changed > 0 && state === 'paused'
          ? await cancelScheduleJobs(em, { scheduleId: id, all: false, at: now })
          : [];
      return { changed, cancelled };
    });
    this.tellCancelled(cancelled);
    if (changed === 0) return this.load(actor, id); // lost a race with another change: report what won
    const out = { ...s, state, nextRunAt, updatedAt: now };
    this.wake(out);
    return out;
  }

  /** Runs the schedule's call now, as a job of its own; the schedule's next run does not move. */
  async trigger(actor: Actor, id: string): Promise<Job> {
    requireScope(actor.scopes, 'write:jobs');
    const s = await this.load(actor, id);
    const now = this.deps.clock.now();
    const job = runJob(s, { id: newId('job'), source: 'manual', scheduledAt: now, now });
    await this.deps.db.em().insert(JobEntity, job);
    this.deps.waker.wake('job', job.shard, now);
    return job;
  }

  /** Executions of every job of the schedule, newest first. */
  async listExecutions(actor: Actor, id: string, page: PageRequest = {}): Promise<Page<Execution>> {
    requireScope(actor.scopes, 'read:jobs');
    await this.load(actor, id);
    return listExecutions(this.deps.db, { scheduleId: id }, actor.projectId, page);
  }

  private async load(actor: Actor, id: string): Promise<Schedule> {
    if (!isId('schedule', id)) throw new NotFoundError('schedule', id);
    const row = await this.deps.db.em().findOne(ScheduleEntity, { id, projectId: actor.projectId });
    if (!row) throw new NotFoundError('schedule', id);
    return row;
  }

  private tellCancelled(jobs: Array<{ id: string; shard: number }>): void {
    for (const j of jobs) this.deps.waker.cancelled?.('job', j.shard, j.id);
  }

  private wake(s: Schedule): void {
    if (s.state === 'active' && s.nextRunAt) this.deps.waker.wake('schedule', s.shard, s.nextRunAt);
  }
}
