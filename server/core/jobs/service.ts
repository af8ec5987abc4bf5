import { z } from 'zod';
import { JobEntity, type AlertRow } from '../../store/entities.js';
import { findPage } from '../../store/pages.js';
import { checkDailyExecutions } from '../executions/daily-limit.js';
import { executionActivity, type Activity } from '../executions/activity.js';
import { listExecutions } from '../executions/history.js';
import { isForeignKeyViolation } from '../../store/errors.js';
import { Coalescer } from '../../store/coalescer.js';
import { cancelJob } from '../../store/job-transitions.js';
import { findJob, findJobByIdempotencyKey, findJobsByIdempotencyKeys, insertJobs, type JobInsert } from '../../store/statements/jobs.js';
import { findSchedule } from '../../store/statements/schedules.js';
import { alertsForFinishedJob } from '../alerts/jobs.js';
import { requireScope } from '../auth/scopes.js';
import type { CoreDeps } from '../deps.js';
import {
  DailyExecutionLimitError,
  echo,
  IdempotencyConflictError,
  InvalidArgumentError,
  InvalidScheduledAtError,
  JobAlreadyExecutedError,
  NotFoundError,
  TockError,
} from '../errors.js';
import { isId, newId } from '../ids.js';
import { SCHEDULE_DEFAULTS } from '../schedules/service.js';
import { shardOf } from '../shard.js';
import type { Actor, Execution, Job, JobStatus, Page, PageRequest } from '../types.js';
import { backoffMs, body, checkHttpUrl, expectedStatus, headers, httpMethod, LIMITS, maxRetries, name, parse, storable, targetUrl, text, timeoutMs } from '../validation.js';

export const JOB_STATUSES = ['scheduled', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly JobStatus[];

/** How far ahead a one-time job may be scheduled. */
const MAX_AHEAD_MS = 5 * 366 * 86_400_000;
/** The earliest `scheduled_at`: earlier is a mistake (it would run at once anyway), and far earlier is outside what the database stores. */
export const EARLIEST_SCHEDULED_AT = new Date('2000-01-01T00:00:00Z');

/**
 * With `future`, how far in the past `scheduled_at` may still be: the caller's clock and the
 * request's transit make "now" arrive slightly late. Such a job is due at once.
 */
export const FUTURE_SKEW_MS = 1_000;

/** How a caller wants its input taken, beside the input itself. */
export interface JobCreateOptions {
  /** `scheduled_at` is required and must not be more than FUTURE_SKEW_MS in the past (InvalidScheduledAtError). */
  future?: boolean;
}

export const jobInput = z
  .object({
    name: name.nullish(),
    url: targetUrl,
    method: httpMethod.optional(),
    headers: headers.optional(),
    body: body.nullish(),
    scheduledAt: z.union([z.date(), text(LIMITS.id), z.number()]).nullish(),
    timeoutMs: timeoutMs.optional(),
    maxRetries: maxRetries.optional(),
    retryBackoffMs: backoffMs.optional(),
    retryBackoffMaxMs: backoffMs.optional(),
    expectedStatus: expectedStatus.optional(),
    idempotencyKey: text(LIMITS.idempotencyKey).min(1, 'must not be empty').nullish(),
    webhookUrl: targetUrl.nullish(),
    webhookHeaders: headers.optional(),
  })
  .strict();
export type JobInput = z.input<typeof jobInput>;

/** The most jobs one `createMany` call takes. */
export const MAX_BATCH_JOBS = 1_000;

/**
 * What `createMany` did with one input, at its `index`: a job (`created: false` when an
 * idempotency key returned the earlier one), or the error that input alone failed with.
 */
export type JobBatchResult =
  | { index: number; job: Job; created: boolean; error: null }
  | { index: number; job: null; created: false; error: TockError };

export interface JobListFilter extends PageRequest {
  /** One status, or any of several. */
  status?: JobStatus | readonly JobStatus[] | null;
  scheduleId?: string | null;
  /** Only one-time jobs (none a schedule spawned or a trigger made). */
  oneTime?: boolean;
  /** `desc` (default): newest first; `asc`: oldest first. */
  order?: 'asc' | 'desc';
}

function toDate(value: Date | string | number | null | undefined, now: Date, future: boolean): Date {
  if (value === null || value === undefined) {
    if (future) throw new InvalidArgumentError('scheduled_at: is required', 'scheduled_at');
    return now;
  }
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new InvalidArgumentError(`scheduled_at: '${echo(value)}' is not a date (use RFC 3339, e.g. 2026-01-01T09:00:00Z)`, 'scheduled_at');
  }
  if (d.getTime() < EARLIEST_SCHEDULED_AT.getTime()) {
    throw new InvalidArgumentError(`scheduled_at: must not be before ${EARLIEST_SCHEDULED_AT.toISOString()} (a past time runs at once)`, 'scheduled_at');
  }
  if (d.getTime() - now.getTime() > MAX_AHEAD_MS) {
    throw new InvalidArgumentError('scheduled_at: must be within 5 years from now', 'scheduled_at');
  }
  if (future && d.getTime() < now.getTime() - FUTURE_SKEW_MS) throw new InvalidScheduledAtError(d, now);
  return d;
}

/** Same request = same call: used to tell a retried create from a reused idempotency key. */
function sameCall(a: Job, b: Job): boolean {
  return a.url === b.url && a.method === b.method && (a.body ?? null) === (b.body ?? null) && JSON.stringify(a.headers) === JSON.stringify(b.headers);
}

export class JobService {
  /**
   * Creates arriving together share one INSERT (see Coalescer): a lone create is sent at once;
   * under load, the creates that arrive while statements are out ride the next one.
   */
  private readonly inserts: Coalescer<Job, JobInsert>;

  constructor(private readonly deps: CoreDeps) {
    this.inserts = new Coalescer((jobs) => insertJobs(deps.db, jobs), {
      maxBatch: 500,
      maxInFlight: 3,
      // Bodies reach 1 MiB: a statement carries at most ~4 MiB of them (escaped for the array literals, they grow).
      maxWeight: 4 * 1024 * 1024,
      weight: (j) => 512 + (j.body?.length ?? 0) + j.url.length,
    });
  }

  async create(actor: Actor, input: JobInput, opts: JobCreateOptions = {}): Promise<Job> {
    return (await this.createOrGet(actor, input, opts)).job;
  }

  /**
   * The job `create` makes of `input` (defaults applied, every field checked and normalised),
   * without storing it. Declarative sync compares stored jobs with this.
   */
  build(actor: Actor, input: JobInput, opts: JobCreateOptions = {}): Job {
    const p = parse(jobInput, input);
    const now = this.deps.clock.now();
    const id = newId('job');
    const scheduledAt = toDate(p.scheduledAt, now, opts.future ?? false);
    const job: Job = {
      id,
      projectId: actor.projectId,
      scheduleId: null,
      shard: shardOf(id),
      source: 'api',
      name: p.name ?? null,
      url: checkHttpUrl(p.url, 'url', this.deps.allowTargets),
      method: p.method ?? SCHEDULE_DEFAULTS.method,
      headers: p.headers ?? {},
      body: p.body ?? null,
      scheduledAt,
      timeoutMs: p.timeoutMs ?? SCHEDULE_DEFAULTS.timeoutMs,
      maxRetries: p.maxRetries ?? SCHEDULE_DEFAULTS.maxRetries,
      retryBackoffMs: p.retryBackoffMs ?? SCHEDULE_DEFAULTS.retryBackoffMs,
      retryBackoffMaxMs: p.retryBackoffMaxMs ?? SCHEDULE_DEFAULTS.retryBackoffMaxMs,
      expectedStatus: p.expectedStatus ?? [],
      idempotencyKey: p.idempotencyKey ?? null,
      webhookUrl: p.webhookUrl ? checkHttpUrl(p.webhookUrl, 'webhook_url', this.deps.allowTargets) : null,
      webhookHeaders: p.webhookHeaders ?? {},
      status: 'scheduled',
      attempts: 0,
      nextAttemptAt: scheduledAt,
      lastStatusCode: null,
      lastError: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    if (job.retryBackoffMaxMs < job.retryBackoffMs) {
      throw new InvalidArgumentError('retry_backoff_max_ms: must be at least retry_backoff_ms', 'retry_backoff_max_ms');
    }
    return job;
  }

  /**
   * Creates a one-time job. With an idempotency key already used in the project for the same
   * call, returns the earlier job (`created: false`); for a different call, fails. A project at
   * its daily execution limit gets DailyExecutionLimitError, except for a replay of a keyed
   * create, which still returns the earlier job.
   */
  async createOrGet(actor: Actor, input: JobInput, opts: JobCreateOptions = {}): Promise<{ job: Job; created: boolean }> {
    requireScope(actor.scopes, 'write:jobs');
    const job = this.build(actor, input, opts);
    try {
      await checkDailyExecutions(this.deps, actor.projectId);
    } catch (err) {
      // A replay of a create that was accepted before the limit was reached still returns its job.
      const earlier = job.idempotencyKey ? await findJobByIdempotencyKey(this.deps.db, actor.projectId, job.idempotencyKey) : null;
      if (earlier && sameCall(earlier, job)) return { job: earlier, created: false };
      throw err;
    }
    let outcome: JobInsert;
    try {
      outcome = await this.inserts.submit(job);
    } catch (err) {
      // The project was deleted since the request resolved it (another node's cache may lag by its TTL).
      if (isForeignKeyViolation(err, 'jobs_project_id_fkey')) throw new NotFoundError('project', actor.projectId);
      throw err;
    }
    if (outcome === 'key_taken') {
      const existing = await findJobByIdempotencyKey(this.deps.db, actor.projectId, job.idempotencyKey!);
      if (existing && sameCall(existing, job)) return { job: existing, created: false };
      throw new IdempotencyConflictError(job.idempotencyKey!, existing?.id ?? 'unknown');
    }
    this.deps.waker.wake('job', job.shard, job.scheduledAt);
    return { job, created: true };
  }

  /**
   * Creates up to MAX_BATCH_JOBS one-time jobs, each as `createOrGet` would, in one INSERT. An
   * input that fails (validation, a key reused for a different call, the daily limit) gets its
   * error in its result and the others are still created; only a call that cannot be served at
   * all throws (scope, no inputs or too many). Within the call, a key given twice is the same key
   * given again: the later input gets the job of the first (or a conflict, for a different call).
   *
   * The jobs of one call share one shard (that of the first job's id), as the jobs of a schedule
   * share its shard: the timer claims and fires them together and needs one wake-up for all.
   */
  async createMany(actor: Actor, inputs: readonly JobInput[], opts: JobCreateOptions = {}): Promise<JobBatchResult[]> {
    requireScope(actor.scopes, 'write:jobs');
    if (!Array.isArray(inputs) || inputs.length === 0) throw new InvalidArgumentError('jobs: must hold at least one job', 'jobs');
    if (inputs.length > MAX_BATCH_JOBS) {
      throw new InvalidArgumentError(`jobs: at most ${MAX_BATCH_JOBS} jobs a call (got ${inputs.length}); split them`, 'jobs');
    }
    const results: Array<JobBatchResult | null> = inputs.map(() => null);
    const fail = (index: number, error: TockError) => (results[index] = { index, job: null, created: false, error });
    const built: Array<{ index: number; job: Job }> = [];
    let shard: number | null = null;
    inputs.forEach((input, index) => {
      try {
        const job = this.build(actor, input, opts);
        shard ??= job.shard;
        job.shard = shard;
        built.push({ index, job });
      } catch (err) {
        if (!(err instanceof TockError)) throw err;
        fail(index, err);
      }
    });
    // The first input with a key is the one stored; later inputs with that key resolve against it.
    const firstWithKey = new Map<string, number>();
    const toInsert: Array<{ index: number; job: Job }> = [];
    const repeats: Array<{ index: number; job: Job }> = [];
    for (const b of built) {
      const key = b.job.idempotencyKey;
      if (key !== null && firstWithKey.has(key)) repeats.push(b);
      else {
        if (key !== null) firstWithKey.set(key, b.index);
        toInsert.push(b);
      }
    }
    const holders = new Map<string, Job>();
    /** Inputs whose key is held: the holder's job for the same call, a conflict for another; `otherwise` when nothing holds it. */
    const resolveKeyed = async (items: Array<{ index: number; job: Job }>, otherwise: (index: number, key: string) => TockError) => {
      const keys = items.map((b) => b.job.idempotencyKey!).filter((k) => !holders.has(k));
      for (const j of await findJobsByIdempotencyKeys(this.deps.db, actor.projectId, [...new Set(keys)])) holders.set(j.idempotencyKey!, j);
      for (const { index, job } of items) {
        const key = job.idempotencyKey!;
        const holder = holders.get(key);
        if (holder && sameCall(holder, job)) results[index] = { index, job: holder, created: false, error: null };
        else fail(index, holder ? new IdempotencyConflictError(key, holder.id) : otherwise(index, key));
      }
    };

    let limited: DailyExecutionLimitError | null = null;
    if (toInsert.length > 0) {
      try {
        await checkDailyExecutions(this.deps, actor.projectId);
      } catch (err) {
        if (!(err instanceof DailyExecutionLimitError)) throw err;
        limited = err;
      }
    }
    if (limited) {
      // As for one create: a replay of a keyed create accepted before the limit still returns its job.
      const limit = limited;
      for (const b of toInsert) if (b.job.idempotencyKey === null) fail(b.index, limit);
      await resolveKeyed([...toInsert.filter((b) => b.job.idempotencyKey !== null), ...repeats], () => limit);
      return results as JobBatchResult[];
    }

    const outcomes = toInsert.length ? await insertJobs(this.deps.db, toInsert.map((b) => b.job)) : [];
    const taken: Array<{ index: number; job: Job }> = [];
    let earliest: Date | null = null;
    for (const [i, o] of outcomes.entries()) {
      const { index, job } = toInsert[i];
      if (!o.ok) {
        // The project was deleted since the request resolved it; anything else is not the caller's to fix.
        if (!isForeignKeyViolation(o.error, 'jobs_project_id_fkey')) throw o.error;
        fail(index, new NotFoundError('project', actor.projectId));
      } else if (o.value === 'key_taken') {
        taken.push(toInsert[i]);
      } else {
        results[index] = { index, job, created: true, error: null };
        if (job.idempotencyKey !== null) holders.set(job.idempotencyKey, job);
        if (!earliest || job.scheduledAt < earliest) earliest = job.scheduledAt;
      }
    }
    // Nothing holds the key only when its first input failed on its own (it then fails the same way) or the holder is gone.
    await resolveKeyed([...taken, ...repeats], (_index, key) => results[firstWithKey.get(key)!]?.error ?? new IdempotencyConflictError(key, 'unknown'));
    if (earliest && shard !== null) this.deps.waker.wake('job', shard, earliest);
    return results as JobBatchResult[];
  }

  async get(actor: Actor, id: string): Promise<Job> {
    requireScope(actor.scopes, 'read:jobs');
    return this.load(actor, id);
  }

  /** Newest first unless `order` says otherwise. */
  async list(actor: Actor, filter: JobListFilter = {}): Promise<Page<Job>> {
    requireScope(actor.scopes, 'read:jobs');
    const statuses = filter.status == null ? [] : typeof filter.status === 'string' ? [filter.status] : [...filter.status];
    for (const status of statuses) {
      if (!(JOB_STATUSES as readonly string[]).includes(status)) {
        throw new InvalidArgumentError(`status: must be one of ${JOB_STATUSES.join(', ')}`, 'status');
      }
    }
    // A malformed schedule id matches no job, like an unknown one; it does not reach the database.
    if (filter.scheduleId && !isId('schedule', filter.scheduleId)) return { items: [], nextPageToken: null };
    return findPage(
      this.deps.db.em(),
      JobEntity,
      {
        projectId: actor.projectId,
        ...(statuses.length ? { status: statuses.length === 1 ? statuses[0] : { $in: statuses } } : {}),
        ...(filter.scheduleId ? { scheduleId: filter.scheduleId } : filter.oneTime ? { scheduleId: null } : {}),
      },
      filter,
      filter.order === 'asc' ? 'asc' : 'desc',
    );
  }

  /** The one-time job created with this idempotency key. */
  async getByIdempotencyKey(actor: Actor, key: string): Promise<Job> {
    requireScope(actor.scopes, 'read:jobs');
    if (!storable(key)) throw new NotFoundError('job', key);
    const row = await this.deps.db.em().findOne(JobEntity, { projectId: actor.projectId, idempotencyKey: key });
    if (!row) throw new NotFoundError('job', key);
    return row;
  }

  /**
   * Cancels a job that has not been sent: `scheduled`, or `running` but only claimed by the
   * timer (claimed ahead of its time, not yet marked dispatched: `dispatched_at is null`). One
   * conditional UPDATE decides against the timer's dispatch mark (see server/store/job-transitions.ts): if
   * the mark committed first, nothing changes and the job is reported as executed; if the cancel
   * did, the timer never sends it (the owning node is told so it drops it at once). A claimed
   * attempt that is cancelled did not happen: `attempts` goes back down. Cancelling a cancelled
   * job is a no-op.
   */
  async cancel(actor: Actor, id: string): Promise<Job> {
    requireScope(actor.scopes, 'write:jobs');
    const job = await this.load(actor, id);
    if (job.status === 'cancelled') return job;
    if (job.status === 'scheduled' || job.status === 'running') {
      const now = this.deps.clock.now();
      const alerts = job.webhookUrl ? await this.cancelAlerts(job, now) : undefined;
      const attempts = await cancelJob(this.deps.db, { jobId: id, projectId: actor.projectId, at: now }, alerts);
      if (attempts !== null) {
        this.deps.waker.cancelled?.('job', job.shard, id);
        if (alerts) this.deps.waker.wake('alert', job.shard, now);
        return { ...job, status: 'cancelled', attempts, nextAttemptAt: null, finishedAt: now, updatedAt: now };
      }
      const current = await this.load(actor, id);
      if (current.status === 'cancelled') return current;
      throw new JobAlreadyExecutedError(id, current.status);
    }
    throw new JobAlreadyExecutedError(id, job.status);
  }

  /** The `job.cancelled` webhook of a job with a `webhook_url`, planned for the attempts the cancel leaves. */
  private async cancelAlerts(job: Job, now: Date): Promise<(attempts: number) => AlertRow[]> {
    const schedule = job.scheduleId ? await findSchedule(this.deps.db, job.projectId, job.scheduleId) : null;
    return (attempts) =>
      alertsForFinishedJob(
        {
          job: { ...job, status: 'cancelled', attempts, nextAttemptAt: null, finishedAt: now, updatedAt: now },
          execution: null,
          schedule,
          run: false,
          project: { notifyEmail: null, notifyWebhookUrl: null, notifyWebhookFormat: 'auto' },
        },
        this.deps.publicUrl,
        now,
      ).alerts;
  }

  /** Attempts of the job, newest first. */
  async listExecutions(actor: Actor, id: string, page: PageRequest = {}): Promise<Page<Execution>> {
    requireScope(actor.scopes, 'read:jobs');
    await this.load(actor, id);
    return listExecutions(this.deps.db, { jobId: id }, actor.projectId, page);
  }

  /** The project's executions per minute over the last hour (counts by outcome, first-attempt lateness). */
  async activity(actor: Actor): Promise<Activity> {
    requireScope(actor.scopes, 'read:jobs');
    return executionActivity(this.deps.db, actor.projectId, this.deps.clock.now());
  }

  private async load(actor: Actor, id: string): Promise<Job> {
    if (!isId('job', id)) throw new NotFoundError('job', id);
    const job = await findJob(this.deps.db, actor.projectId, id);
    if (!job) throw new NotFoundError('job', id);
    return job;
  }
}
