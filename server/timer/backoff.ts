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

/** Whether an attempt's outcome leads to another attempt. `refused` targets are never retried. */
export function shouldRetry(outcome: 'succeeded' | 'failed' | 'timeout' | 'refused', attempt: number, maxRetries: number): boolean {
  return (outcome === 'failed' || outcome === 'timeout') && attempt <= maxRetries;
}
