import { describe, expect, it } from 'vitest';
import { attemptResult, retryDelayMs, shouldRetry, skippedResult, SKIPPED_ERROR, type AttemptReport } from '../../../server/core/jobs/attempts.js';

describe('retry backoff with full jitter', () => {
  it('draws from [0, base * 2^(attempt-1)) below the cap', () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const ceiling = 1000 * 2 ** (attempt - 1);
      expect(retryDelayMs(attempt, 1000, 1_000_000, null, () => 0)).toBe(0);
      expect(retryDelayMs(attempt, 1000, 1_000_000, null, () => 0.999999)).toBe(Math.floor(ceiling * 0.999999));
      expect(retryDelayMs(attempt, 1000, 1_000_000, null, () => 0.5)).toBe(ceiling / 2);
    }
  });

  it('never exceeds the cap however many attempts failed', () => {
    for (let attempt = 1; attempt <= 60; attempt++) {
      const d = retryDelayMs(attempt, 1000, 30_000, null, () => 0.999999);
      expect(d).toBeLessThanOrEqual(30_000);
      expect(d).toBeGreaterThanOrEqual(0);
    }
    expect(retryDelayMs(60, 1000, 30_000, null, () => 0.5)).toBe(15_000);
  });

  it('stays within bounds for random draws', () => {
    for (let i = 0; i < 10_000; i++) {
      const attempt = 1 + (i % 8);
      const d = retryDelayMs(attempt, 250, 10_000);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(10_000, 250 * 2 ** (attempt - 1)));
    }
  });

  it('waits at least a Retry-After, but never longer than the cap', () => {
    expect(retryDelayMs(1, 1000, 60_000, 5_000, () => 0)).toBe(5_000);
    expect(retryDelayMs(1, 1000, 60_000, 5_000, () => 0.99)).toBe(5_000);
    expect(retryDelayMs(8, 1000, 60_000, 5_000, () => 0.5)).toBe(60_000 / 2);
    expect(retryDelayMs(1, 1000, 60_000, 3_600_000, () => 0)).toBe(60_000);
  });
});

describe('which outcomes are retried', () => {
  it('retries failed and timed-out attempts while retries remain, never refused ones or successes', () => {
    expect(shouldRetry('failed', 1, 2)).toBe(true);
    expect(shouldRetry('timeout', 2, 2)).toBe(true);
    expect(shouldRetry('failed', 3, 2)).toBe(false);
    expect(shouldRetry('failed', 1, 0)).toBe(false);
    expect(shouldRetry('refused', 1, 5)).toBe(false);
    expect(shouldRetry('succeeded', 1, 5)).toBe(false);
  });
});

describe('what an attempt does to its job', () => {
  const of = { jobId: 'job_1', projectId: 'project_1', scheduleId: null, attempt: 1, epoch: 7, call: { maxRetries: 2, retryBackoffMs: 1_000, retryBackoffMaxMs: 10_000 } };
  const report = (outcome: AttemptReport['outcome'], retryAfterMs: number | null = null): AttemptReport => ({
    outcome,
    statusCode: outcome === 'succeeded' ? 200 : 500,
    durationMs: 12,
    responseBody: 'body',
    error: outcome === 'succeeded' ? null : 'boom',
    retryAfterMs,
    startedAt: new Date(1_000),
    finishedAt: new Date(1_012),
  });

  it('a success ends the job succeeded, with no next attempt', () => {
    expect(attemptResult(of, report('succeeded'), 5_000)).toMatchObject({ jobStatus: 'succeeded', nextAttemptAt: null, status: 'succeeded', run: true, epoch: 7 });
  });

  it('a failure with retries left schedules the next attempt after the backoff', () => {
    const r = attemptResult({ ...of, attempt: 2 }, report('failed'), 5_000, () => 0.5);
    expect(r).toMatchObject({ jobStatus: 'scheduled', status: 'failed', attempt: 2 });
    expect(r.nextAttemptAt?.getTime()).toBe(5_000 + 1_000);
  });

  it('a timeout is retried like a failure, and the Retry-After is honoured', () => {
    const r = attemptResult(of, report('timeout', 4_000), 5_000, () => 0);
    expect(r.jobStatus).toBe('scheduled');
    expect(r.nextAttemptAt?.getTime()).toBe(9_000);
  });

  it('the last allowed attempt that fails ends the job failed', () => {
    expect(attemptResult({ ...of, attempt: 3 }, report('failed'), 5_000)).toMatchObject({ jobStatus: 'failed', nextAttemptAt: null });
  });

  it('a refused target ends the job failed at once', () => {
    expect(attemptResult(of, report('refused'), 5_000)).toMatchObject({ jobStatus: 'failed', nextAttemptAt: null });
  });

  it('a skipped tick cancels its job and does not count as a run', () => {
    expect(skippedResult(of, 5_000)).toMatchObject({ jobStatus: 'cancelled', status: 'skipped', error: SKIPPED_ERROR, run: false, durationMs: 0 });
  });
});
