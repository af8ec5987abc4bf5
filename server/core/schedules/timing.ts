import { Cron } from 'croner';
import { BoundedCache, stringBytes } from '../bounded-cache.js';
import { InvalidArgumentError, InvalidCronError, InvalidTimezoneError } from '../errors.js';

/**
 * When things happen: cron expressions (5 fields, or 6 with seconds first) in an IANA time
 * zone, or a fixed interval. Cron DST semantics are croner's: a local time that does not exist
 * (spring forward) fires at the first instant after the gap; a local time that happens twice
 * (fall back) fires once, at its first occurrence.
 */

/**
 * Valid zones only, by the spelling sent, to Intl's canonical name. Canonical names are what is
 * stored and handed to croner: spellings that differ in case alone are countless, and croner
 * keeps one formatter per zone string it is given, unbounded.
 */
const validZones = new BoundedCache<string, string>(2_000, 256 * 1024, (spelling, canonical) => stringBytes(spelling) + stringBytes(canonical) + 64);

/** Checks an IANA time zone name and returns its canonical spelling. */
export function checkTimezone(timezone: string): string {
  let canonical = validZones.get(timezone);
  if (canonical === undefined) {
    try {
      canonical = timezone.length > 0 ? new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions().timeZone : undefined;
    } catch {
      canonical = undefined;
    }
    if (canonical === undefined) throw new InvalidTimezoneError(timezone);
    validZones.set(timezone, canonical);
  }
  return canonical;
}

/**
 * Parsed patterns are reused: the timer computes next runs for many schedules sharing few
 * patterns. Only patterns that parsed are kept. A parsed pattern holds about 80 KB (croner fills
 * a 10,000-entry year table), so the byte bound is what limits this cache.
 */
const CRON_ENTRY_BYTES = 96 * 1024;
const cronCache = new BoundedCache<string, Cron>(2_000, 32 * 1024 * 1024, (key) => CRON_ENTRY_BYTES + stringBytes(key));

const cronKey = (expression: string, timezone: string) => `${timezone}\u0000${expression}`;

/** A stored (checked) pattern, parsed once. */
function cronFor(expression: string, timezone: string): Cron {
  const key = cronKey(expression, timezone);
  let cron = cronCache.get(key);
  if (!cron) {
    cron = new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts' });
    cronCache.set(key, cron);
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
  const zone = checkTimezone(timezone);
  const key = cronKey(normalised, zone);
  let cron = cronCache.get(key);
  if (cron) return normalised;
  try {
    cron = new Cron(normalised, { timezone: zone, paused: true, mode: '5-or-6-parts' });
  } catch (err) {
    const reason = (err as Error).message.replace(/^CronPattern:\s*/, '');
    throw new InvalidCronError(expression, reason);
  }
  if (cron.nextRun(new Date()) === null) {
    throw new InvalidCronError(expression, 'it never fires');
  }
  // Cached only once known good: a rejected pattern leaves nothing behind.
  cronCache.set(key, cron);
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

/** Entry counts and estimated bytes of the caches above (for tests and diagnostics). */
export function timingCacheSizes(): { zones: { entries: number; bytes: number }; crons: { entries: number; bytes: number } } {
  return {
    zones: { entries: validZones.size, bytes: validZones.bytes },
    crons: { entries: cronCache.size, bytes: cronCache.bytes },
  };
}
