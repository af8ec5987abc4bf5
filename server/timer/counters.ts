/** What the timer counts (replaced by prom-client metrics objects in metrics.ts). */
export interface TimerCounters {
  claimedTicks: number;
  claimedJobs: number;
  lostRaces: number;
  fired: number;
  succeeded: number;
  failed: number;
  retries: number;
  skipped: number;
  cancelledTold: number;
  cancelledAtMark: number;
  misfireFireOnce: number;
  misfireSkip: number;
  dropped: number;
  errors: number;
}

export function newCounters(): TimerCounters {
  return {
    claimedTicks: 0,
    claimedJobs: 0,
    lostRaces: 0,
    fired: 0,
    succeeded: 0,
    failed: 0,
    retries: 0,
    skipped: 0,
    cancelledTold: 0,
    cancelledAtMark: 0,
    misfireFireOnce: 0,
    misfireSkip: 0,
    dropped: 0,
    errors: 0,
  };
}
