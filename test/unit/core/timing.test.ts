import { describe, expect, it } from 'vitest';
import { InvalidCronError, InvalidTimezoneError, InvalidArgumentError } from '../../../server/core/errors.js';
import { checkCron, checkInterval, checkTimezone, nextRunAfter, timingCacheSizes } from '../../../server/core/schedules/timing.js';

describe('cron validation', () => {
  it('accepts 5 and 6 fields and normalises spacing', () => {
    expect(checkCron('*/5  *  * * *')).toBe('*/5 * * * *');
    expect(checkCron('30 */2 * * * *')).toBe('30 */2 * * * *');
  });

  it.each([
    ['* * * *', "Invalid cron expression: '* * * *' (expected 5 fields, or 6 with seconds first; got 4)"],
    ['', "Invalid cron expression: '' (expected 5 fields, or 6 with seconds first; got 0)"],
    ['* * * * * * *', "Invalid cron expression: '* * * * * * *' (expected 5 fields, or 6 with seconds first; got 7)"],
    ['61 * * * *', "Invalid cron expression: '61 * * * *' (Invalid value for minute: 61)"],
    ['0 0 30 2 *', "Invalid cron expression: '0 0 30 2 *' (it never fires)"],
  ])('rejects %j with invalid_cron and a message saying why', (expr, message) => {
    let err: unknown;
    try {
      checkCron(expr);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidCronError);
    expect((err as InvalidCronError).code).toBe('invalid_cron');
    expect((err as InvalidCronError).field).toBe('cron');
    expect((err as Error).message).toBe(message);
  });

  it('rejects unknown time zones with invalid_timezone', () => {
    expect(() => checkTimezone('Mars/Base')).toThrow(InvalidTimezoneError);
    expect(() => checkTimezone('Mars/Base')).toThrow("Unknown time zone 'Mars/Base'");
    expect(checkTimezone('Europe/Riga')).toBe('Europe/Riga');
  });

  it('rejects intervals that are not whole positive seconds', () => {
    expect(() => checkInterval(0)).toThrow(InvalidArgumentError);
    expect(() => checkInterval(1.5)).toThrow('interval_seconds: must be a whole number of seconds');
    expect(checkInterval(60)).toBe(60);
  });
});

describe('next run', () => {
  it('follows cron in the schedule time zone', () => {
    const next = nextRunAfter({ cron: '0 9 * * *', timezone: 'Europe/Riga', intervalSeconds: null }, new Date('2026-07-01T12:00:00Z'));
    expect(next?.toISOString()).toBe('2026-07-02T06:00:00.000Z'); // 09:00 EEST = UTC+3
  });

  it('keeps an interval cadence from its anchor instead of drifting with lateness', () => {
    const t = { cron: null, timezone: 'UTC', intervalSeconds: 60 };
    const anchor = new Date('2026-01-01T00:00:00Z');
    expect(nextRunAfter(t, new Date('2026-01-01T00:00:00.250Z'), anchor)?.toISOString()).toBe('2026-01-01T00:01:00.000Z');
    expect(nextRunAfter(t, new Date('2026-01-01T00:03:10Z'), anchor)?.toISOString()).toBe('2026-01-01T00:04:00.000Z');
    expect(nextRunAfter(t, new Date('2026-01-01T00:00:00Z'))?.toISOString()).toBe('2026-01-01T00:01:00.000Z');
  });
});

describe('the time-zone and cron caches', () => {
  it('return and keep the canonical spelling of a zone, so case variants share one entry', () => {
    expect(checkTimezone('europe/riga')).toBe('Europe/Riga');
    expect(checkTimezone('EUROPE/RIGA')).toBe('Europe/Riga');
    expect(checkTimezone('Etc/UTC')).toBe('UTC');
  });

  it('keep nothing of rejected zones and patterns', () => {
    const before = timingCacheSizes();
    for (let i = 0; i < 50; i++) {
      expect(() => checkTimezone(`Nowhere/${i}${'x'.repeat(10_000)}`)).toThrow(InvalidTimezoneError);
      expect(() => checkCron(`${60 + i} * * * *`)).toThrow(InvalidCronError);
      expect(() => checkCron('0 0 31 2 *')).toThrow(/never fires/);
    }
    expect(timingCacheSizes()).toEqual(before);
  });

  it('stay within their byte bounds however many distinct valid patterns pass', () => {
    for (let m = 0; m < 60; m++) for (let h = 0; h < 24; h++) checkCron(`${m} ${h} * * *`, 'Europe/Riga');
    const { crons } = timingCacheSizes();
    expect(crons.bytes).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(crons.entries).toBeLessThan(60 * 24);
  });
});
