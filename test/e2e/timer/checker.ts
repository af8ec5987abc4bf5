import { nextRunAfter, type Trigger } from '../../../server/core/schedules/timing.js';

/** What the receiver saw of one call. */
export interface Delivery {
  scheduleId: string;
  scheduledAtMs: number;
  webhookId: string;
  receivedAtMs: number;
}

export interface ExpectedSchedule {
  id: string;
  trigger: Trigger;
  /** The schedule's first next_run_at. */
  firstMs: number;
}

export interface CheckReport {
  expected: number;
  received: number;
  /** Expected (schedule, scheduled_at) never received. */
  lost: string[];
  /** (schedule, scheduled_at) received more than once. */
  duplicatedTicks: string[];
  /** webhook-ids received more than once. */
  duplicatedIds: string[];
  /** Received but not an occurrence of the schedule. */
  unexpected: string[];
  lateness: { p50: number; p99: number; max: number };
}

/** Every occurrence of each schedule from its first run up to `untilMs` (inclusive). */
export function expectedTicks(schedules: ExpectedSchedule[], untilMs: number): Set<string> {
  const out = new Set<string>();
  for (const s of schedules) {
    let at: number | null = s.firstMs;
    while (at !== null && at <= untilMs) {
      out.add(`${s.id}@${at}`);
      const d: Date = new Date(at);
      at = nextRunAfter(s.trigger, d, d)?.getTime() ?? null;
    }
  }
  return out;
}

/**
 * Compares deliveries with the expected ticks over the window ending at `untilMs`: nothing
 * lost, nothing duplicated (by tick and by webhook-id), nothing that is not an occurrence.
 * Deliveries of ticks after the window count only for duplicates.
 */
export function check(schedules: ExpectedSchedule[], deliveries: Delivery[], untilMs: number): CheckReport {
  const expected = expectedTicks(schedules, untilMs);
  const seenTicks = new Map<string, number>();
  const seenIds = new Map<string, number>();
  const unexpected: string[] = [];
  const lateness: number[] = [];
  for (const d of deliveries) {
    const tick = `${d.scheduleId}@${d.scheduledAtMs}`;
    seenTicks.set(tick, (seenTicks.get(tick) ?? 0) + 1);
    seenIds.set(d.webhookId, (seenIds.get(d.webhookId) ?? 0) + 1);
    if (d.scheduledAtMs <= untilMs) {
      if (!expected.has(tick)) unexpected.push(tick);
      lateness.push(d.receivedAtMs - d.scheduledAtMs);
    }
  }
  lateness.sort((a, b) => a - b);
  const pct = (p: number) => (lateness.length ? lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))] : 0);
  return {
    expected: expected.size,
    received: [...seenTicks.keys()].filter((t) => expected.has(t)).length,
    lost: [...expected].filter((t) => !seenTicks.has(t)),
    duplicatedTicks: [...seenTicks].filter(([, n]) => n > 1).map(([t]) => t),
    duplicatedIds: [...seenIds].filter(([, n]) => n > 1).map(([id]) => id),
    unexpected,
    lateness: { p50: pct(0.5), p99: pct(0.99), max: lateness.length ? lateness[lateness.length - 1] : 0 },
  };
}
