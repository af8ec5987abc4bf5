import type { HttpTarget, Job, RetryPolicy, Schedule } from '../types.js';

/**
 * What a run of a schedule (a tick, or a manual trigger) copies from the schedule into its job:
 * the call, its retry policy and its terminal-state webhook. Said once, here: `runJob` copies these for a trigger, and the
 * timer's tick claim copies the same columns in SQL (server/store/sql/claim-schedule-ticks.ts,
 * which also hands them back to the timer under these names), so a field added to the call
 * goes into this list and nowhere else.
 */
export const RUN_FIELDS = [
  'url',
  'method',
  'headers',
  'body',
  'timeoutMs',
  'maxRetries',
  'retryBackoffMs',
  'retryBackoffMaxMs',
  'expectedStatus',
  'webhookUrl',
  'webhookHeaders',
] as const satisfies readonly (keyof RunCall)[];

/** The call of a run, its retry policy, and where its terminal state is reported (inherited by every run). */
export type RunCall = HttpTarget & RetryPolicy & Pick<Job, 'webhookUrl' | 'webhookHeaders'>;

// RUN_FIELDS names every field of RunCall (a field missing here fails to compile).
const everyField: [Exclude<keyof RunCall, (typeof RUN_FIELDS)[number]>] extends [never] ? true : never = true;
void everyField;

/** The job of one run of `schedule`, due at `scheduledAt`: its call copied, nothing attempted yet. */
export function runJob(schedule: Schedule, run: { id: string; source: 'schedule' | 'manual'; scheduledAt: Date; now: Date }): Job {
  const call = {} as Record<(typeof RUN_FIELDS)[number], unknown>;
  for (const f of RUN_FIELDS) call[f] = schedule[f];
  return {
    ...(call as RunCall),
    id: run.id,
    projectId: schedule.projectId,
    scheduleId: schedule.id,
    shard: schedule.shard,
    source: run.source,
    scheduledAt: run.scheduledAt,
    name: null,
    idempotencyKey: null,
    status: 'scheduled',
    attempts: 0,
    nextAttemptAt: run.scheduledAt,
    lastStatusCode: null,
    lastError: null,
    createdAt: run.now,
    updatedAt: run.now,
    finishedAt: null,
  };
}
