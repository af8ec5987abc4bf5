import { newId } from '../ids.js';
import type { RetryPolicy } from '../types.js';
import type { AttemptResult } from '../../store/job-transitions.js';

/**
 * What an attempt's outcome does to its job: the one retry/terminal decision. The timer reports
 * each attempt here and writes the result it gets back (server/store/job-transitions.ts).
 */

export type AttemptOutcome = 'succeeded' | 'failed' | 'timeout' | 'refused';

/** What an attempt came to (the executor's CallOutcome is this type). */
export interface AttemptReport {
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  /** The target's Retry-After, if it sent one. */
  retryAfterMs: number | null;
  startedAt: Date;
  finishedAt: Date;
}

/** The attempt being reported: which job, which try, under which lease epoch it was claimed. */
export interface AttemptOf {
  jobId: string;
  projectId: string;
  scheduleId: string | null;
  /** This attempt's number (1 = first). */
  attempt: number;
  /** Lease epoch of the claim; the result's write is fenced on it. */
  epoch: number;
  call: Pick<RetryPolicy, 'maxRetries' | 'retryBackoffMs' | 'retryBackoffMaxMs'>;
}

/** Whether an attempt's outcome leads to another attempt. `refused` targets are never retried. */
export function shouldRetry(outcome: AttemptOutcome, attempt: number, maxRetries: number): boolean {
  return (outcome === 'failed' || outcome === 'timeout') && attempt <= maxRetries;
}

/**
 * Delay before retry number `attempt` (1 = the retry after the first failed attempt):
 * exponential backoff with full jitter, `random(0, min(cap, base * 2^(attempt-1)))`.
 * A `Retry-After` from the target is honoured up to the cap: the delay is never shorter than
 * `min(retryAfterMs, cap)`.
 */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  capMs: number,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  let delay = Math.floor(random() * exp);
  if (retryAfterMs !== null && retryAfterMs > 0) delay = Math.max(delay, Math.min(retryAfterMs, capMs));
  return Math.max(0, Math.min(delay, capMs));
}

/** The result of an attempt: its execution, and the job terminal or `scheduled` again for a retry. */
export function attemptResult(of: AttemptOf, report: AttemptReport, nowMs: number, random: () => number = Math.random): AttemptResult {
  let jobStatus: AttemptResult['jobStatus'];
  let nextAttemptAt: Date | null = null;
  if (report.outcome === 'succeeded') {
    jobStatus = 'succeeded';
  } else if (shouldRetry(report.outcome, of.attempt, of.call.maxRetries)) {
    jobStatus = 'scheduled';
    nextAttemptAt = new Date(nowMs + retryDelayMs(of.attempt, of.call.retryBackoffMs, of.call.retryBackoffMaxMs, report.retryAfterMs, random));
  } else {
    jobStatus = 'failed';
  }
  return {
    executionId: newId('execution'),
    jobId: of.jobId,
    projectId: of.projectId,
    scheduleId: of.scheduleId,
    attempt: of.attempt,
    status: report.outcome,
    statusCode: report.statusCode,
    durationMs: report.durationMs,
    responseBody: report.responseBody,
    error: report.error,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    jobStatus,
    nextAttemptAt,
    epoch: of.epoch,
    run: true,
  };
}

export const SKIPPED_ERROR = 'previous run still running';

/**
 * Overlap `forbid`: a tick that finds an earlier run of its schedule unfinished is recorded as
 * a `cancelled` job with one execution of status `skipped` (error 'previous run still running').
 * It does not count as a run of the schedule.
 */
export function skippedResult(of: AttemptOf, nowMs: number): AttemptResult {
  const now = new Date(nowMs);
  return {
    executionId: newId('execution'),
    jobId: of.jobId,
    projectId: of.projectId,
    scheduleId: of.scheduleId,
    attempt: of.attempt,
    status: 'skipped',
    statusCode: null,
    durationMs: 0,
    responseBody: null,
    error: SKIPPED_ERROR,
    startedAt: now,
    finishedAt: now,
    jobStatus: 'cancelled',
    nextAttemptAt: null,
    epoch: of.epoch,
    run: false,
  };
}
