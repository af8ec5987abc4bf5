import type { SinkStats } from '../lib/sink-client.js';
import type { TargetName } from '../targets/types.js';
import { leadMs, spreadJobs, waitForFinished, waitForSink, withTarget, type BenchContext } from './common.js';

export interface LatenessResult {
  target: string;
  rate: number;
  durationS: number;
  jobs: number;
  delivered: number;
  duplicates: number;
  p50: number;
  p99: number;
  max: number;
  /** Median lateness of the first and last fifth of due times (backlog growth). */
  headP50: number;
  tailP50: number;
  /** Time after the last due time until the last delivery. */
  tailDrainMs: number;
  /** Jobs the target recorded as done in its storage (execution rows, completed jobs ...). */
  persisted: number;
  /** Time after the last due time until every job was recorded as done (NaN if not within 30 s). */
  persistedMs: number;
  /** First due time minus the moment the target had started (negative = started late). */
  slackMs: number;
  rssMB: number;
}

/**
 * p99 under 1 s, everything delivered and recorded as done in the target's storage, and the last
 * fifth not later than the first fifth by > 250 ms.
 */
export function sustained(r: LatenessResult): boolean {
  return r.delivered >= r.jobs && r.persisted >= r.jobs && r.p99 < 1000 && r.tailP50 - r.headP50 <= 250;
}

/**
 * Fire lateness at `rate` fires/s for `durationS` seconds: rate x duration one-time jobs with
 * evenly spread due times, stored ahead, then the target starts; lateness = sink arrival - due.
 */
export async function latenessCell(name: TargetName, rate: number, durationS: number, ctx: BenchContext): Promise<LatenessResult> {
  const jobs = Math.round(rate * durationS);
  return withTarget(name, `late${rate}`, ctx, async (target) => {
    await ctx.sink.reset();
    const t0 = Date.now() + leadMs(jobs);
    const list = spreadJobs(`${name}-r${rate}`, t0, rate, jobs);
    const lastDue = list[list.length - 1].dueAtMs;
    await target.scheduleAt(list);
    await target.start();
    const slackMs = t0 - Date.now();
    await waitForSink(ctx.sink, jobs, { deadlineMs: lastDue + 60_000, notBeforeMs: lastDue, stallMs: 10_000 });
    const s: SinkStats = await ctx.sink.stats();
    // Where in the run the late deliveries were: due-time windows of 1 s, median/max lateness.
    const tl = await ctx.sink.timeline(1000);
    ctx.log(`    ${name} ${rate}/s by second of due time (p50/max ms): ${tl.map((b) => `${b.p50.toFixed(0)}/${b.max.toFixed(0)}`).join(' ')}`);
    const rss = await target.rssBytes();
    const done = await waitForFinished(target, jobs);
    return {
      target: name,
      rate,
      durationS,
      jobs,
      delivered: s.unique,
      duplicates: s.duplicates,
      p50: s.latenessP50,
      p99: s.latenessP99,
      max: s.latenessMax,
      headP50: s.headP50,
      tailP50: s.tailP50,
      tailDrainMs: s.lastArrivalMs - lastDue,
      persisted: done.finished,
      persistedMs: done.atMs - lastDue,
      slackMs,
      rssMB: rss / 2 ** 20,
    };
  });
}
