import { sleep, withTarget, type BenchContext } from './common.js';

export interface RssResult {
  target: string;
  schedules: number;
  seedMs: number;
  /** RSS after settling, MB. */
  rssMB: number;
  /** Highest RSS sampled while settling, MB. */
  peakMB: number;
  /** Same scheduler, empty database, same settle time. */
  baselineMB: number;
  settleS: number;
  /** Scheduler counters at the end, when the timer exposes `stats()`. */
  schedulerStats: string;
}

async function sampleRss(target: { rssBytes(): Promise<number> }, settleS: number): Promise<{ last: number; peak: number }> {
  let peak = 0;
  let last = 0;
  for (let i = 0; i < settleS; i++) {
    await sleep(1000);
    last = await target.rssBytes();
    peak = Math.max(peak, last);
  }
  return { last, peak };
}

/**
 * Scheduler RSS with `schedules` active schedules stored (Tock only): the schedules are
 * bulk-inserted with generate_series (see TockTarget.seedSchedules), then the scheduler child
 * starts and its RSS is sampled each second for `settleS`. A baseline run with an empty database
 * gives the fixed cost.
 */
export async function rssCell(schedules: number, settleS: number, ctx: BenchContext): Promise<RssResult> {
  const baseline = await withTarget('tock', 'rss0', ctx, async (t) => {
    await t.start();
    return sampleRss(t, settleS);
  });
  return withTarget('tock', 'rss', ctx, async (t) => {
    ctx.log(`    seeding ${schedules.toLocaleString('en-US')} schedules...`);
    const seed = await t.invoke<{ inserted: number; ms: number }>('seedSchedules', schedules);
    ctx.log(`    seeded in ${(seed.ms / 1000).toFixed(1)} s; starting the scheduler`);
    await t.start();
    const s = await sampleRss(t, settleS);
    const stats = await t.invoke<Record<string, unknown> | null>('stats').catch(() => null);
    const brief = stats
      ? ['queued', 'armed', 'fired', 'claimedTicks', 'shards']
          .filter((k) => k in stats)
          .map((k) => `${k}=${JSON.stringify(stats[k])}`)
          .join(' ')
      : '';
    return {
      target: 'tock',
      schedules,
      seedMs: seed.ms,
      rssMB: s.last / 2 ** 20,
      peakMB: s.peak / 2 ** 20,
      baselineMB: baseline.last / 2 ** 20,
      settleS,
      schedulerStats: brief,
    };
  });
}
