import { z } from 'zod';
import { JobEntity } from '../../store/entities.js';
import { findPage } from '../../store/pages.js';
import { listExecutions } from '../executions/history.js';
import { isUniqueViolation } from '../../store/errors.js';
import { cancelJob } from '../../store/job-transitions.js';
import { requireScope } from '../auth/scopes.js';
import type { CoreDeps } from '../deps.js';
import { IdempotencyConflictError, InvalidArgumentError, JobAlreadyExecutedError, NotFoundError } from '../errors.js';
import { isId, newId } from '../ids.js';
import { SCHEDULE_DEFAULTS } from '../schedules/service.js';
import { shardOf } from '../shard.js';
import type { Actor, Execution, Job, JobStatus, Page, PageRequest } from '../types.js';
import { backoffMs, body, checkHttpUrl, expectedStatus, headers, httpMethod, maxRetries, parse, timeoutMs } from '../validation.js';

const JOB_STATUSES = ['scheduled', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** How far ahead a one-time job may be scheduled. */
const MAX_AHEAD_MS = 5 * 366 * 86_400_000;

export const jobInput = z
  .object({
    url: z.string(),
    method: httpMethod.optional(),
    headers: headers.optional(),
    body: body.nullish(),
    scheduledAt: z.union([z.date(), z.string(), z.number()]).nullish(),
    timeoutMs: timeoutMs.optional(),
    maxRetries: maxRetries.optional(),
    retryBackoffMs: backoffMs.optional(),
    retryBackoffMaxMs: backoffMs.optional(),
    expectedStatus: expectedStatus.optional(),
    idempotencyKey: z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters').nullish(),
    webhookUrl: z.string().nullish(),
  })
  .strict();
export type JobInput = z.input<typeof jobInput>;

export interface JobListFilter extends PageRequest {
  status?: JobStatus | null;
  scheduleId?: string | null;
}

function toDate(value: Date | string | number | null | undefined, now: Date): Date {
  if (value === null || value === undefined) return now;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new InvalidArgumentError(`scheduled_at: '${String(value)}' is not a date (use RFC 3339, e.g. 2026-01-01T09:00:00Z)`, 'scheduled_at');
  }
  if (d.getTime() - now.getTime() > MAX_AHEAD_MS) {
    throw new InvalidArgumentError('scheduled_at: must be within 5 years from now', 'scheduled_at');
  }
  return d;
}

/** Same request = same call: used to tell a retried create from a reused idempotency key. */
function sameCall(a: Job, b: Job): boolean {
  return a.url === b.url && a.method === b.method && (a.body ?? null) === (b.body ?? null) && JSON.stringify(a.headers) === JSON.stringify(b.headers);
}

export class JobService {
  constructor(private readonly deps: CoreDeps) {}

  async create(actor: Actor, input: JobInput): Promise<Job> {
    return (await this.createOrGet(actor, input)).job;
  }

  /**
   * Creates a one-time job. With an idempotency key already used in the project for the same
   * call, returns the earlier job (`created: false`); for a different call, fails.
   */
  async createOrGet(actor: Actor, input: JobInput): Promise<{ job: Job; created: boolean }> {
    requireScope(actor.scopes, 'write:jobs');
    const p = parse(jobInput, input);
    const now = this.deps.clock.now();
    const id = newId('job');
    const scheduledAt = toDate(p.scheduledAt, now);
    const job: Job = {
      id,
      projectId: actor.projectId,
      scheduleId: null,
      shard: shardOf(id),
      source: 'api',
      url: checkHttpUrl(p.url),
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
      webhookUrl: p.webhookUrl ? checkHttpUrl(p.webhookUrl, 'webhook_url') : null,
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
    try {
      await this.deps.db.em().insert(JobEntity, job);
    } catch (err) {
      if (job.idempotencyKey && isUniqueViolation(err, 'jobs_project_idempotency_uq')) {
        const existing = await this.deps.db.em().findOne(JobEntity, { projectId: actor.projectId, idempotencyKey: job.idempotencyKey });
        if (existing && sameCall(existing, job)) return { job: existing, created: false };
        throw new IdempotencyConflictError(job.idempotencyKey, existing?.id ?? 'unknown');
      }
      throw err;
    }
    this.deps.waker.wake('job', job.shard, scheduledAt);
    return { job, created: true };
  }

  async get(actor: Actor, id: string): Promise<Job> {
    requireScope(actor.scopes, 'read:jobs');
    return this.load(actor, id);
  }

  /** Newest first. */
  async list(actor: Actor, filter: JobListFilter = {}): Promise<Page<Job>> {
    requireScope(actor.scopes, 'read:jobs');
    if (filter.status && !(JOB_STATUSES as readonly string[]).includes(filter.status)) {
      throw new InvalidArgumentError(`status: must be one of ${JOB_STATUSES.join(', ')}`, 'status');
    }
    return findPage(
      this.deps.db.em(),
      JobEntity,
      {
        projectId: actor.projectId,
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.scheduleId ? { scheduleId: filter.scheduleId } : {}),
      },
      filter,
      'desc',
    );
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
      const attempts = await cancelJob(this.deps.db, { jobId: id, projectId: actor.projectId, at: now });
      if (attempts !== null) {
        this.deps.waker.cancelled?.('job', job.shard, id);
        return { ...job, status: 'cancelled', attempts, nextAttemptAt: null, finishedAt: now, updatedAt: now };
      }
      const current = await this.load(actor, id);
      if (current.status === 'cancelled') return current;
      throw new JobAlreadyExecutedError(id, current.status);
    }
    throw new JobAlreadyExecutedError(id, job.status);
  }

  /** Attempts of the job, newest first. */
  async listExecutions(actor: Actor, id: string, page: PageRequest = {}): Promise<Page<Execution>> {
    requireScope(actor.scopes, 'read:jobs');
    await this.load(actor, id);
    return listExecutions(this.deps.db, { jobId: id }, actor.projectId, page);
  }

  private async load(actor: Actor, id: string): Promise<Job> {
    if (!isId('job', id)) throw new NotFoundError('job', id);
    const row = await this.deps.db.em().findOne(JobEntity, { id, projectId: actor.projectId });
    if (!row) throw new NotFoundError('job', id);
    return row;
  }
}
