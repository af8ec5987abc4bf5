import { createFreshDatabase, type FreshDatabase } from '../lib/db.js';
import type { SinkClient } from '../lib/sink-client.js';
import { RemoteTarget } from '../targets/remote.js';
import type { BenchJob, TargetConfig, TargetName } from '../targets/types.js';

export interface BenchContext {
  sink: SinkClient;
  config: TargetConfig;
  quick: boolean;
  log: (msg: string) => void;
}

/** Tuning reported by each target the first time it runs (for the notes). */
export const tuningSeen = new Map<string, Record<string, string | number | boolean>>();

/**
 * Runs `fn` against a target in a fresh database and a fresh child process, and always stops the
 * target, ends the child and drops the database afterwards.
 */
export async function withTarget<T>(
  name: TargetName,
  label: string,
  ctx: BenchContext,
  fn: (t: RemoteTarget, db: FreshDatabase) => Promise<T>,
): Promise<T> {
  const db = await createFreshDatabase(`${name}_${label}`);
  let target: RemoteTarget | null = null;
  try {
    target = await RemoteTarget.spawn(name, ctx.config);
    if (!tuningSeen.has(name)) tuningSeen.set(name, target.tuning());
    await target.setup(db.url, ctx.sink.url);
    return await fn(target, db);
  } finally {
    if (target) {
      await target.stop().catch(() => {});
      await target.close().catch(() => {});
    }
    await db.drop().catch((err) => ctx.log(`  (could not drop ${db.name}: ${(err as Error).message})`));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Lead time between "now" and the first due time: covers the bulk insert and the target's start,
 * so every job is stored and the worker running before anything is due. Checked afterwards
 * (`slackMs`); a negative slack is reported.
 */
export function leadMs(jobs: number): number {
  return Math.round(3000 + jobs * 0.15);
}

/** Evenly spread due times: `count` jobs starting at `t0`, `1000/rate` ms apart (rounded to whole ms). */
export function spreadJobs(prefix: string, t0: number, rate: number, count: number): BenchJob[] {
  const step = 1000 / rate;
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, dueAtMs: Math.round(t0 + i * step) }));
}

/**
 * Waits until the sink has `expected` requests, or `deadlineMs` (wall clock) passes, or nothing
 * new arrived for `stallMs` after `notBeforeMs`. Returns the count seen.
 */
export async function waitForSink(
  sink: SinkClient,
  expected: number,
  opts: { deadlineMs: number; notBeforeMs: number; stallMs?: number; pollMs?: number },
): Promise<number> {
  const stallMs = opts.stallMs ?? 15_000;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const c = await sink.count();
    const now = Date.now();
    if (c !== last) {
      last = c;
      lastChange = now;
    }
    if (c >= expected) return c;
    if (now >= opts.deadlineMs) return c;
    if (now > opts.notBeforeMs && now - lastChange > stallMs) return c;
    await sleep(opts.pollMs ?? 200);
  }
}

/**
 * Waits until the target has recorded `expected` jobs as done in its own storage (see
 * BenchTarget.finished), polling every 100 ms, for at most `timeoutMs`. Returns the count and
 * when it was reached (wall clock ms), or NaN when it was not.
 */
export async function waitForFinished(
  target: { finished(): Promise<number> },
  expected: number,
  timeoutMs = 30_000,
): Promise<{ finished: number; atMs: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await target.finished();
    if (n >= expected) return { finished: n, atMs: Date.now() };
    if (Date.now() >= deadline) return { finished: n, atMs: Number.NaN };
    await sleep(100);
  }
}
