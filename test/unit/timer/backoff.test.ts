import { describe, expect, it } from 'vitest';
import { retryDelayMs, shouldRetry } from '../../../server/timer/backoff.js';

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
