import type { TargetName } from '../targets/types.js';
import { leadMs, waitForFinished, waitForSink, withTarget, type BenchContext } from './common.js';

export interface BurstResult {
  target: string;
  jobs: number;
  delivered: number;
  duplicates: number;
  /** From the due time until the sink had received every job. */
  drainMs: number;
  /** From the due time until the target had recorded every job as done (NaN if not within 60 s of the drain). */
  persistedMs: number;
  persisted: number;
  /** Lateness of the first delivery. */
  firstMs: number;
  p50: number;
  p99: number;
  /** Deliveries per second over the drain. */
  throughput: number;
  slackMs: number;
  rssMB: number;
}

/** `jobs` one-time jobs all due at the same instant; drain time = last arrival - due time. */
export async function burstCell(name: TargetName, jobs: number, ctx: BenchContext): Promise<BurstResult> {
  return withTarget(name, 'burst', ctx, async (target) => {
    await ctx.sink.reset();
    const due = Date.now() + leadMs(jobs);
    const list = Array.from({ length: jobs }, (_, i) => ({ id: `${name}-b-${i}`, dueAtMs: due }));
    await target.scheduleAt(list);
    await target.start();
    const slackMs = due - Date.now();
    await waitForSink(ctx.sink, jobs, { deadlineMs: due + 300_000, notBeforeMs: due, stallMs: 20_000 });
    const s = await ctx.sink.stats();
    const rss = await target.rssBytes();
    const drainMs = s.lastArrivalMs - due;
    const done = await waitForFinished(target, jobs, 60_000);
    return {
      target: name,
      jobs,
      delivered: s.unique,
      duplicates: s.duplicates,
      drainMs: s.unique >= jobs ? drainMs : Number.NaN,
      persisted: done.finished,
      persistedMs: done.atMs - due,
      firstMs: s.firstArrivalMs - due,
      p50: s.latenessP50,
      p99: s.latenessP99,
      throughput: s.unique / (Math.max(1, drainMs) / 1000),
      slackMs,
      rssMB: rss / 2 ** 20,
    };
  });
}
