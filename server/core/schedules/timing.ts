import { Cron } from 'croner';
import { InvalidArgumentError, InvalidCronError, InvalidTimezoneError } from '../errors.js';

/**
 * When things happen: cron expressions (5 fields, or 6 with seconds first) in an IANA time
 * zone, or a fixed interval. Cron DST semantics are croner's: a local time that does not exist
 * (spring forward) fires at the first instant after the gap; a local time that happens twice
 * (fall back) fires once, at its first occurrence.
 */

const validZones = new Map<string, boolean>();

export function checkTimezone(timezone: string): string {
  let ok = validZones.get(timezone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
      ok = timezone.length > 0;
    } catch {
      ok = false;
    }
    if (validZones.size < 10_000) validZones.set(timezone, ok);
  }
  if (!ok) throw new InvalidTimezoneError(timezone);
  return timezone;
}

// Parsed patterns are reused: the timer computes next runs for many schedules sharing few patterns.
const cronCache = new Map<string, Cron>();
const CRON_CACHE_MAX = 50_000;

function cronFor(expression: string, timezone: string): Cron {
  const cacheKey = `${timezone}\u0000${expression}`;
  let cron = cronCache.get(cacheKey);
  if (!cron) {
    cron = new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts' });
    if (cronCache.size >= CRON_CACHE_MAX) cronCache.clear();
    cronCache.set(cacheKey, cron);
  }
  return cron;
}

/** Validates a cron expression and returns it normalised (single spaces). */
export function checkCron(expression: string, timezone = 'UTC'): string {
  const normalised = expression.trim().split(/\s+/).join(' ');
  const fields = normalised === '' ? 0 : normalised.split(' ').length;
  if (fields !== 5 && fields !== 6) {
    throw new InvalidCronError(expression, `expected 5 fields, or 6 with seconds first; got ${fields}`);
  }
  checkTimezone(timezone);
  let cron: Cron;
  try {
    cron = cronFor(normalised, timezone);
  } catch (err) {
    const reason = (err as Error).message.replace(/^CronPattern:\s*/, '');
    throw new InvalidCronError(expression, reason);
  }
  if (cron.nextRun(new Date()) === null) {
    throw new InvalidCronError(expression, 'it never fires');
  }
  return normalised;
}

/** The first occurrence strictly after `after`, or null if the expression never fires again. */
export function nextCronRun(expression: string, timezone: string, after: Date): Date | null {
  return cronFor(expression, timezone).nextRun(after);
}

export const MIN_INTERVAL_SECONDS = 1;
export const MAX_INTERVAL_SECONDS = 366 * 86_400;

export function checkInterval(seconds: number, field = 'interval_seconds'): number {
  if (!Number.isInteger(seconds) || seconds < MIN_INTERVAL_SECONDS || seconds > MAX_INTERVAL_SECONDS) {
    throw new InvalidArgumentError(
      `${field}: must be a whole number of seconds between ${MIN_INTERVAL_SECONDS} and ${MAX_INTERVAL_SECONDS}`,
      field,
    );
  }
  return seconds;
}

export interface Trigger {
  cron: string | null;
  timezone: string;
  intervalSeconds: number | null;
}

/**
 * The next due time after `after`. Intervals keep their cadence from `anchor` (the previous
 * due time) when given, so a schedule every 60 s does not drift by the lateness of each run.
 */
export function nextRunAfter(trigger: Trigger, after: Date, anchor?: Date | null): Date | null {
  if (trigger.cron) return nextCronRun(trigger.cron, trigger.timezone, after);
  const stepMs = (trigger.intervalSeconds ?? 0) * 1000;
  if (stepMs <= 0) return null;
  if (!anchor) return new Date(after.getTime() + stepMs);
  const behind = after.getTime() - anchor.getTime();
  const steps = behind < 0 ? 1 : Math.floor(behind / stepMs) + 1;
  return new Date(anchor.getTime() + steps * stepMs);
}
