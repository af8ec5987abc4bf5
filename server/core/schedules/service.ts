import { z } from 'zod';
import { FlipEntity, JobEntity, ScheduleEntity } from '../../store/entities.js';
import { findPage } from '../../store/pages.js';
import { checkDailyExecutions } from '../executions/daily-limit.js';
import { listExecutions } from '../executions/history.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../store/errors.js';
import { ALERT_SETTING_DEFAULTS, alertSettingFields, checkWebhookUrl, settlePolicy } from '../alerts/settings.js';
import { insertJob } from '../../store/statements/jobs.js';
import { findSchedule, findScheduleByKey } from '../../store/statements/schedules.js';
import { cancelScheduleJobs } from '../../store/job-transitions.js';
import { requireScope } from '../auth/scopes.js';
import type { CoreDeps } from '../deps.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { isId, newId } from '../ids.js';
import { shardOf } from '../shard.js';
import type { Actor, Execution, Job, Monitor, Page, PageRequest, Principal, Schedule, ScheduleState, Updatable } from '../types.js';
import type { TargetAllowList } from '../targets.js';
import {
  backoffMs,
  body,
  checkHttpUrl,
  cronText,
  description,
  email,
  expectedStatus,
  storable,
  headers,
  httpMethod,
  maxRetries,
  name,
  parse,
  targetUrl,
  timeoutMs,
  timezoneText,
  userKey,
} from '../validation.js';
import type { Heartbeats, HeartbeatSettings } from './heartbeat.js';
import { runJob } from './runs.js';
import { checkCron, checkInterval, checkTimezone, nextRunAfter } from './timing.js';

export const SCHEDULE_STATES = ['active', 'paused'] as const satisfies readonly ScheduleState[];

const fields = {
  key: userKey.nullish(),
  name: name.optional(),
  description: description.nullish(),
  url: targetUrl,
  method: httpMethod.optional(),
  headers: headers.optional(),
  body: body.nullish(),
  cron: cronText.nullish(),
  timezone: timezoneText.nullish(),
  intervalSeconds: z.number().nullish(),
  timeoutMs: timeoutMs.optional(),
  maxRetries: maxRetries.optional(),
  retryBackoffMs: backoffMs.optional(),
  retryBackoffMaxMs: backoffMs.optional(),
  expectedStatus: expectedStatus.optional(),
  overlap: z.enum(['allow', 'forbid'], { message: "must be 'allow' or 'forbid'" }).optional(),
  misfire: z.enum(['fire_once', 'skip'], { message: "must be 'fire_once' or 'skip'" }).optional(),
  state: z.enum(SCHEDULE_STATES, { message: "must be 'active' or 'paused'" }).optional(),
  alertEmail: email.nullish(),
  alertWebhook: targetUrl.nullish(),
  alertOnFailure: z.boolean().optional(),
  alertOnRecovery: z.boolean().optional(),
  ...alertSettingFields,
  webhookUrl: targetUrl.nullish(),
  webhookHeaders: headers.optional(),
};

export const scheduleInput = z.object(fields).strict();
export const schedulePatch = z.object({ ...fields, url: targetUrl.optional() }).strict();
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
  state: 'active',
  alertOnFailure: true,
  alertOnRecovery: true,
} as const;

/**
 * Every field `update` takes and its cleared value: null where the field is nullable, else the
 * default of a new schedule. `name` and `url` cannot be cleared: their cleared value is '',
 * which `update` refuses with the usual message. A cleared `timezone` is UTC.
 */
export const SCHEDULE_UPDATABLE: Updatable<SchedulePatch> = {
  key: null,
  name: '',
  description: null,
  url: '',
  method: SCHEDULE_DEFAULTS.method,
  headers: {},
  body: null,
  cron: null,
  timezone: null,
  intervalSeconds: null,
  timeoutMs: SCHEDULE_DEFAULTS.timeoutMs,
  maxRetries: SCHEDULE_DEFAULTS.maxRetries,
  retryBackoffMs: SCHEDULE_DEFAULTS.retryBackoffMs,
  retryBackoffMaxMs: SCHEDULE_DEFAULTS.retryBackoffMaxMs,
  expectedStatus: [],
  overlap: SCHEDULE_DEFAULTS.overlap,
  misfire: SCHEDULE_DEFAULTS.misfire,
  alertEmail: null,
  alertWebhook: null,
  alertOnFailure: SCHEDULE_DEFAULTS.alertOnFailure,
  alertOnRecovery: SCHEDULE_DEFAULTS.alertOnRecovery,
  alertPolicy: ALERT_SETTING_DEFAULTS.alertPolicy,
  alertAfterFailures: null,
  alertReminderSeconds: null,
  alertWebhookFormat: ALERT_SETTING_DEFAULTS.alertWebhookFormat,
  webhookUrl: null,
  webhookHeaders: {},
  state: SCHEDULE_DEFAULTS.state,
};

/** Checks the fields that need more than a shape (URLs against the target allow list, cron, time zone, trigger choice). */
function checkSchedule(s: Schedule, allow: TargetAllowList): void {
  s.url = checkHttpUrl(s.url, 'url', allow);
  // An empty webhook means none, as an unset one does on gRPC.
  s.alertWebhook = checkWebhookUrl(s.alertWebhook, 'alert_webhook', allow);
  s.webhookUrl = checkWebhookUrl(s.webhookUrl, 'webhook_url', allow);
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

/** A schedule's heartbeat in a create or update: settings to have one, null to have none, absent to keep what it has. */
export interface HeartbeatOption {
  heartbeat?: HeartbeatSettings | null;
}

export class ScheduleService {
  constructor(
    private readonly deps: CoreDeps,
    private readonly heartbeat: Heartbeats,
  ) {}

  /**
   * The schedule `create` makes of `input` (defaults applied, every field checked and
   * normalised), without storing it. Declarative sync compares stored schedules with this.
   */
  build(actor: Actor, input: ScheduleInput): Schedule {
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
      state: p.state ?? SCHEDULE_DEFAULTS.state,
      nextRunAt: null,
      lastRunAt: null,
      lastStatus: null,
      alertEmail: p.alertEmail ?? null,
      alertWebhook: p.alertWebhook ?? null,
      alertOnFailure: p.alertOnFailure ?? SCHEDULE_DEFAULTS.alertOnFailure,
      alertOnRecovery: p.alertOnRecovery ?? SCHEDULE_DEFAULTS.alertOnRecovery,
      alertWebhookFormat: p.alertWebhookFormat ?? ALERT_SETTING_DEFAULTS.alertWebhookFormat,
      alertPolicy: p.alertPolicy ?? ALERT_SETTING_DEFAULTS.alertPolicy,
      alertAfterFailures: p.alertAfterFailures ?? null,
      alertReminderSeconds: p.alertReminderSeconds ?? null,
      failureStreak: 0,
      webhookUrl: p.webhookUrl ?? null,
      webhookHeaders: p.webhookHeaders ?? {},
      createdAt: now,
      updatedAt: now,
    };
    checkSchedule(s, this.deps.allowTargets);
    settlePolicy(s, {});
    s.name = p.name ?? p.key ?? defaultName(s.url);
    s.nextRunAt = s.state === 'active' ? nextRunAfter(s, now) : null;
    return s;
  }

  /** Stores a new schedule; with `heartbeat` settings, its heartbeat too (see heartbeat.ts), in the same transaction. */
  async create(actor: Actor, input: ScheduleInput, opts: HeartbeatOption = {}): Promise<Schedule> {
    requireScope(actor.scopes, 'write:jobs');
    const s = this.build(actor, input);
    const beat = opts.heartbeat ? this.heartbeat.build(actor, s, opts.heartbeat) : null;
    await checkDailyExecutions(this.deps, actor.projectId);
    try {
      if (beat) {
        await this.deps.db.em().transactional(async (em) => {
          await em.insert(ScheduleEntity, s);
          await this.heartbeat.insertIn(em, beat);
        });
      } else {
        await this.deps.db.em().insert(ScheduleEntity, s);
      }
    } catch (err) {
      if (isUniqueViolation(err, 'schedules_project_key_uq')) throw new AlreadyExistsError('schedule', 'key', s.key!);
      // The project was deleted since the request resolved it (another node's cache may lag by its TTL).
      if (isForeignKeyViolation(err, 'schedules_project_id_fkey')) throw new NotFoundError('project', actor.projectId);
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
    if (!storable(key)) throw new NotFoundError('schedule', key);
    const s = await findScheduleByKey(this.deps.db, actor.projectId, key);
    if (!s) throw new NotFoundError('schedule', key);
    return s;
  }

  async list(actor: Actor, page: PageRequest & { state?: ScheduleState | null } = {}): Promise<Page<Schedule>> {
    requireScope(actor.scopes, 'read:jobs');
    if (page.state != null && !(SCHEDULE_STATES as readonly string[]).includes(page.state)) {
      throw new InvalidArgumentError(`state: must be one of ${SCHEDULE_STATES.join(', ')}`, 'state');
    }
    return findPage(this.deps.db.em(), ScheduleEntity, { projectId: actor.projectId, ...(page.state ? { state: page.state } : {}) }, page, 'asc');
  }

  /** Schedules of every project the key reaches (a key limited to a project: that one), oldest first. */
  async listAcross(principal: Principal, page: PageRequest = {}): Promise<Page<Schedule>> {
    requireScope(principal.scopes, 'read:jobs');
    const projects = await this.deps.db.query<{ id: string }>(
      `select id from projects where account_id = $1 and ($2::text is null or id = $2)`,
      [principal.accountId, principal.keyProjectId],
      'tock_projects_reached',
    );
    if (projects.length === 0) return { items: [], nextPageToken: null };
    return findPage(this.deps.db.em(), ScheduleEntity, { projectId: { $in: projects.map((p) => p.id) } }, page, 'asc');
  }

  /** The project of schedule `id`, when the key reaches it; else not found (as for another tenant's id). */
  async projectOf(principal: Principal, id: string): Promise<string> {
    if (!isId('schedule', id)) throw new NotFoundError('schedule', id);
    const [row] = await this.deps.db.query<{ project_id: string }>(
      `select s.project_id from schedules s join projects p on p.id = s.project_id
        where s.id = $1 and p.account_id = $2 and ($3::text is null or p.id = $3)`,
      [id, principal.accountId, principal.keyProjectId],
      'tock_schedule_project',
    );
    if (!row) throw new NotFoundError('schedule', id);
    return row.project_id;
  }

  /**
   * The heartbeat of each of the schedules `ids` that has one, by schedule id: among the actor's
   * project, or (a principal) every project the key reaches.
   */
  async heartbeats(who: Actor | Principal, ids: readonly string[]): Promise<Map<string, Monitor>> {
    requireScope(who.scopes, 'read:jobs');
    return this.heartbeat.of(who.accountId, 'projectId' in who ? who.projectId : who.keyProjectId, ids);
  }

  /**
   * Applies a patch: absent fields stay, `null` clears a nullable field. Setting `cron` clears
   * `interval_seconds` and the reverse, so a caller can switch trigger kinds with one field.
   * The next run is recomputed from now when the trigger or the state changes. The heartbeat
   * follows the new name and trigger, or takes `heartbeat` (checked before anything is written).
   */
  async update(actor: Actor, id: string, patch: SchedulePatch, opts: HeartbeatOption = {}): Promise<Schedule> {
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
    checkSchedule(next, this.deps.allowTargets);
    settlePolicy(next, p);
    const beat = opts.heartbeat ? this.heartbeat.build(actor, next, opts.heartbeat) : undefined;
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
    if (opts.heartbeat !== undefined || triggerChanged || next.name !== current.name) await this.heartbeat.apply(actor, next, opts.heartbeat, beat);
    return next;
  }

  /**
   * Deletes the schedule and its heartbeat; its jobs that have not been sent (`scheduled`, or
   * claimed by the timer and not yet dispatched) are cancelled. History stays, unless `history`:
   * then its jobs (a call on its way finishes, its execution is dropped with its job), their
   * executions and its flips go too. The schedule row is locked first: a claim of its ticks in
   * flight commits before, and none can follow.
   */
  async delete(actor: Actor, id: string, opts: { history?: boolean } = {}): Promise<void> {
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
      await this.heartbeat.removeIn(em, id);
      if (opts.history) {
        await em.nativeDelete(FlipEntity, { subjectId: id, projectId: actor.projectId });
        await em.nativeDelete(JobEntity, { scheduleId: id, projectId: actor.projectId });
      }
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
    await checkDailyExecutions(this.deps, actor.projectId);
    const now = this.deps.clock.now();
    const job = runJob(s, { id: newId('job'), source: 'manual', scheduledAt: now, now });
    try {
      await insertJob(this.deps.db, job);
    } catch (err) {
      // Deleted since it was read.
      if (isForeignKeyViolation(err, 'jobs_schedule_id_fkey')) throw new NotFoundError('schedule', id);
      if (isForeignKeyViolation(err, 'jobs_project_id_fkey')) throw new NotFoundError('project', actor.projectId);
      throw err;
    }
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
    const s = await findSchedule(this.deps.db, actor.projectId, id);
    if (!s) throw new NotFoundError('schedule', id);
    return s;
  }

  private tellCancelled(jobs: Array<{ id: string; shard: number }>): void {
    for (const j of jobs) this.deps.waker.cancelled?.('job', j.shard, j.id);
  }

  private wake(s: Schedule): void {
    if (s.state === 'active' && s.nextRunAt) this.deps.waker.wake('schedule', s.shard, s.nextRunAt);
  }
}
