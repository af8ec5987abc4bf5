import { fmt, markdownTable, ratio, type Cell } from '../lib/markdown.js';
import { median, medianOfRuns } from '../lib/stats.js';
import type { BurstResult } from './burst.js';
import { leadMs, waitForSink, withTarget, type BenchContext } from './common.js';
import type { LatenessResult } from './lateness.js';

/**
 * Recurring ticks (Tock only): schedules stored ahead as `ScheduleService.create` stores them
 * (see TockTarget.seedRecurring), then the scheduler starts. Lateness is measured at the sink
 * against each tick's second (`x-tock-scheduled-at`); each tick's id is its `webhook-id` (the
 * tick's job id), so a tick sent twice shows as a duplicate. Only ticks due inside the window
 * are recorded (the sink's due window): the schedules keep ticking after it.
 */

export interface RecurringResult {
  /** Ticks per second = schedules (cron `* * * * * *`). */
  rate: number;
  durationS: number;
  ticks: number;
  delivered: number;
  duplicates: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  headP50: number;
  tailP50: number;
  /** Execution rows of the window's ticks, counted 30 s after the last due second at most. */
  persisted: number;
  /** First due second minus the moment the scheduler had started. */
  slackMs: number;
  seedMs: number;
}

export interface MinuteBurstResult {
  schedules: number;
  delivered: number;
  duplicates: number;
  /** From the due second until the sink had every tick. */
  drainMs: number;
  firstMs: number;
  p50: number;
  p99: number;
  throughput: number;
  slackMs: number;
  seedMs: number;
}

/** The first whole second at least `leadMs` from now. */
function wholeSecondAfter(lead: number): number {
  return Math.ceil((Date.now() + lead) / 1000) * 1000;
}

/** `rate` schedules with cron `* * * * * *` (one tick each per second) for `durationS` seconds of due times. */
export async function recurringCell(rate: number, durationS: number, ctx: BenchContext): Promise<RecurringResult> {
  return withTarget('tock', `rec${rate}`, ctx, async (target) => {
    const firstDue = wholeSecondAfter(leadMs(rate));
    const lastDue = firstDue + (durationS - 1) * 1000;
    const ticks = rate * durationS;
    await ctx.sink.reset({ dueFromMs: firstDue, dueToMs: lastDue });
    const seed = await target.invoke<{ ms: number }>('seedRecurring', rate, '* * * * * *', firstDue);
    await target.start();
    const slackMs = firstDue - Date.now();
    await waitForSink(ctx.sink, ticks, { deadlineMs: lastDue + 60_000, notBeforeMs: lastDue, stallMs: 10_000 });
    const s = await ctx.sink.stats();
    const tl = await ctx.sink.timeline(1000);
    ctx.log(`    recurring ${rate}/s by second (p50/max ms): ${tl.map((b) => `${b.p50.toFixed(0)}/${b.max.toFixed(0)}`).join(' ')}`);
    let persisted = 0;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      persisted = await target.invoke<number>('executionsDueBetween', firstDue, lastDue);
      if (persisted >= ticks) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return {
      rate,
      durationS,
      ticks,
      delivered: s.unique,
      duplicates: s.duplicates,
      p50: s.latenessP50,
      p90: s.latenessP90,
      p99: s.latenessP99,
      max: s.latenessMax,
      headP50: s.headP50,
      tailP50: s.tailP50,
      persisted,
      slackMs,
      seedMs: seed.ms,
    };
  });
}

/**
 * The same due-time shape with one-time jobs: `rate` jobs due together at each whole second for
 * `durationS` seconds, stored ahead like the lateness workload's. Every-second schedules put all
 * their ticks on the same instant, which the evenly spread lateness rows never do; this cell is
 * the like-for-like comparison (what a recurring tick costs beyond a one-time job due then).
 */
export async function sameShapeCell(rate: number, durationS: number, ctx: BenchContext): Promise<LatenessResult> {
  const jobs = rate * durationS;
  return withTarget('tock', `shape${rate}`, ctx, async (target) => {
    await ctx.sink.reset();
    const firstDue = wholeSecondAfter(leadMs(jobs));
    const list = Array.from({ length: jobs }, (_, i) => ({ id: `tock-shape${rate}-${i}`, dueAtMs: firstDue + Math.floor(i / rate) * 1000 }));
    const lastDue = firstDue + (durationS - 1) * 1000;
    await target.scheduleAt(list);
    await target.start();
    const slackMs = firstDue - Date.now();
    await waitForSink(ctx.sink, jobs, { deadlineMs: lastDue + 60_000, notBeforeMs: lastDue, stallMs: 10_000 });
    const s = await ctx.sink.stats();
    return {
      target: 'tock',
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
      persisted: Number.NaN,
      persistedMs: Number.NaN,
      slackMs,
      rssMB: Number.NaN,
    };
  });
}

/**
 * The top-of-the-minute burst: `count` schedules with cron `S M * * * *` (second S of minute M
 * of every hour, UTC) for the first whole second after the lead, so all are due at that second;
 * drain = last arrival - that second.
 */
export async function minuteBurstCell(count: number, ctx: BenchContext): Promise<MinuteBurstResult> {
  return withTarget('tock', 'minute', ctx, async (target) => {
    const due = wholeSecondAfter(leadMs(count));
    const d = new Date(due);
    const cron = `${d.getUTCSeconds()} ${d.getUTCMinutes()} * * * *`;
    await ctx.sink.reset({ dueFromMs: due, dueToMs: due });
    const seed = await target.invoke<{ ms: number }>('seedRecurring', count, cron, due);
    await target.start();
    const slackMs = due - Date.now();
    await waitForSink(ctx.sink, count, { deadlineMs: due + 300_000, notBeforeMs: due, stallMs: 20_000 });
    const s = await ctx.sink.stats();
    const drainMs = s.lastArrivalMs - due;
    return {
      schedules: count,
      delivered: s.unique,
      duplicates: s.duplicates,
      drainMs: s.unique >= count ? drainMs : Number.NaN,
      firstMs: s.firstArrivalMs - due,
      p50: s.latenessP50,
      p99: s.latenessP99,
      throughput: s.unique / (Math.max(1, drainMs) / 1000),
      slackMs,
      seedMs: seed.ms,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Report

export function recurringSection(opts: {
  rates: number[];
  /** Keyed by ticks/s. */
  recurring: Map<string, RecurringResult[]>;
  /** One-time jobs at the same rates (the `lateness` workload), when measured in this invocation. */
  oneTime: Map<string, LatenessResult[]>;
  /** One-time jobs due together at each whole second (sameShapeCell), keyed by jobs/s. */
  sameShape: Map<string, LatenessResult[]>;
}): string {
  const rows: Cell[][] = [];
  for (const rate of opts.rates) {
    const rs = opts.recurring.get(String(rate));
    if (!rs) {
      rows.push([fmt(rate), 'pending', '', '', '', '', '', '', '', '', '']);
      continue;
    }
    const m = medianOfRuns(rs);
    const one = opts.oneTime.get(`tock@${rate}`);
    const oneP99 = one ? medianOfRuns(one).p99 : Number.NaN;
    const shape = opts.sameShape.get(String(rate));
    const shapeP99 = shape ? medianOfRuns(shape).p99 : Number.NaN;
    rows.push([
      fmt(rate),
      fmt(m.ticks),
      fmt(m.p50, 1),
      fmt(m.p90, 1),
      fmt(m.p99, 1),
      fmt(m.max, 1),
      rs.map((r) => fmt(r.p99, 0)).join(' / '),
      `${fmt(median(rs.map((r) => r.delivered)))} / ${fmt(rs.reduce((a, r) => a + r.duplicates, 0))}`,
      fmt(median(rs.map((r) => r.persisted))),
      one ? `${fmt(oneP99, 1)} (${ratio(m.p99, oneP99)})` : 'not run',
      shape ? `${fmt(shapeP99, 1)} (${ratio(m.p99, shapeP99)})` : 'not run',
    ]);
  }
  return markdownTable(
    ['ticks/s (schedules)', 'ticks', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p99 per run', 'delivered / dups', 'executions written', 'one-time jobs at this rate, spread: p99 ms (recurring ÷ one-time)', 'one-time jobs due together at each second: p99 ms (recurring ÷ one-time)'],
    rows,
  );
}

export function minuteBurstSection(opts: { size: number; minute: MinuteBurstResult[]; oneTime: BurstResult[] | undefined }): string {
  const rows: Cell[][] = [];
  const one = opts.oneTime?.length ? medianOfRuns(opts.oneTime) : null;
  if (opts.oneTime?.length && one) {
    rows.push([
      `one-time jobs due at the same instant`,
      fmt(one.jobs),
      fmt(one.drainMs),
      opts.oneTime.map((r) => fmt(r.drainMs)).join(' / '),
      fmt(one.firstMs),
      fmt(one.throughput),
      `${fmt(median(opts.oneTime.map((r) => r.delivered)))} / ${fmt(opts.oneTime.reduce((a, r) => a + r.duplicates, 0))}`,
      '1.00×',
    ]);
  } else {
    rows.push(['one-time jobs due at the same instant', fmt(opts.size), 'pending', '', '', '', '', '']);
  }
  if (opts.minute.length) {
    const m = medianOfRuns(opts.minute);
    rows.push([
      'schedules due at the same second (cron `S M * * * *`)',
      fmt(m.schedules),
      fmt(m.drainMs),
      opts.minute.map((r) => fmt(r.drainMs)).join(' / '),
      fmt(m.firstMs),
      fmt(m.throughput),
      `${fmt(median(opts.minute.map((r) => r.delivered)))} / ${fmt(opts.minute.reduce((a, r) => a + r.duplicates, 0))}`,
      one ? ratio(m.drainMs, one.drainMs) : '–',
    ]);
  } else {
    rows.push(['schedules due at the same second (cron `S M * * * *`)', fmt(opts.size), 'pending', '', '', '', '', '']);
  }
  return markdownTable(['what', 'calls', 'drain ms (median)', 'drain per run', 'first delivery ms', 'deliveries/s', 'delivered / dups', 'drain vs one-time'], rows);
}
