import { describe, expect, it } from 'vitest';
import { InvalidCronError, InvalidPageTokenError, NotFoundError, PermissionDeniedError, type TockError } from '../../../../server/core/errors.js';
import { checkInterval } from '../../../../server/core/schedules/timing.js';
import { errorDetails, HTTP_STATUS } from '../../../../server/surfaces/shared/errors.js';
import { jobInput, scheduleIdOf, time } from '../../../../server/surfaces/rest/krafter/codec.js';
import { errorBody } from '../../../../server/surfaces/rest/krafter/errors.js';
import { isPreset, presetOf, presetSeconds } from '../../../../server/surfaces/rest/krafter/interval-presets.js';

/** The Krafter field map's pure parts: presets, times, the request -> core input map, the error mapper. */

const dialectError = (err: TockError) => {
  const d = errorDetails(err);
  return { status: HTTP_STATUS[d.category], code: d.code, message: d.message, field: d.field };
};

describe('interval presets', () => {
  it('read as seconds in each unit, and refuse other spellings', () => {
    expect(presetSeconds('every_30s')).toBe(30);
    expect(presetSeconds('every_5m')).toBe(300);
    expect(presetSeconds('every_2h')).toBe(7200);
    expect(presetSeconds('every_7d')).toBe(604_800);
    for (const bad of ['every_5', 'every_m', 'every_0s', 'every_05m', 'every_5M', 'every-5m', ' every_5m', 'every_5m ', '5m', 'every_1.5h']) {
      expect(presetSeconds(bad), bad).toBeNull();
      expect(isPreset(bad), bad).toBe(false);
    }
  });

  it('are written in the largest unit that divides the interval, and read back to the same seconds', () => {
    expect(presetOf(300)).toBe('every_5m');
    expect(presetOf(90)).toBe('every_90s');
    expect(presetOf(3600)).toBe('every_1h');
    expect(presetOf(5400)).toBe('every_90m');
    expect(presetOf(86_400)).toBe('every_1d');
    expect(presetOf(90_000)).toBe('every_25h');
    for (let s = 1; s <= 200_000; s += 37) expect(presetSeconds(presetOf(s))).toBe(s);
  });
});

describe('the field map', () => {
  it('writes times in whole seconds, UTC, as the document does', () => {
    expect(time(new Date('2025-01-15T10:05:00.987Z'))).toBe('2025-01-15T10:05:00Z');
    expect(time(null)).toBeNull();
  });

  it("fills a create's left-out fields with the document's defaults and maps the rest to the core's names", () => {
    expect(jobInput({ name: 'n', schedule_type: 'interval', schedule: 'every_5m', url: 'https://x.test/' })).toEqual({
      name: 'n',
      url: 'https://x.test/',
      timezone: 'UTC',
      headers: {},
      timeoutMs: 30_000,
      maxRetries: 3,
      state: 'active',
      alertOnFailure: false,
      alertOnRecovery: false,
      cron: null,
      intervalSeconds: 300,
    });
    expect(jobInput({ name: 'n', schedule_type: 'cron', schedule: '0 9 * * *', url: 'u', enabled: false, failure_notify: true, method: 'GET' })).toMatchObject({
      cron: '0 9 * * *',
      intervalSeconds: null,
      state: 'paused',
      alertOnFailure: true,
      alertOnRecovery: true,
      method: 'GET',
    });
  });

  it('refuses a schedule of the wrong form for its type, naming the form', () => {
    expect(() => jobInput({ name: 'n', schedule_type: 'interval', schedule: '0 9 * * *', url: 'u' })).toThrow(/is not an interval preset: with schedule_type 'interval' use every_<n>s/);
    expect(() => jobInput({ name: 'n', schedule_type: 'cron', schedule: 'every_1h', url: 'u' })).toThrow(/is an interval preset: set schedule_type to 'interval'/);
  });

  it('takes a job UUID in a path to its schedule id; a malformed one is a job not found', () => {
    expect(scheduleIdOf('0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0b1')).toBe('sched_01j3vt3gpkfs7rmpvcfp79z85h');
    expect(() => scheduleIdOf('nope')).toThrow(NotFoundError);
  });
});

describe('the error mapper', () => {
  it('answers {error: {code, message}} with the ids the caller knows and Krafter field names', () => {
    expect(errorBody(dialectError(new NotFoundError('schedule', 'sched_01j3vt3gpkfs7rmpvcfp79z85h')))).toEqual({
      error: { code: 'not_found', message: "No cron job with id '0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0b1'" },
    });
    expect(errorBody(dialectError(new InvalidCronError('* *', 'expected 5 fields, or 6 with seconds first; got 2'))).error).toEqual({
      code: 'invalid_cron',
      message: "schedule: Invalid cron expression: '* *' (expected 5 fields, or 6 with seconds first; got 2)",
    });
    let interval: TockError | null = null;
    try {
      checkInterval(0);
    } catch (err) {
      interval = err as TockError;
    }
    expect(errorBody(dialectError(interval!)).error.message).toBe('schedule: the interval must be a whole number of seconds between 1 and 31622400 (every_1s to every_366d)');
    expect(errorBody(dialectError(new InvalidPageTokenError())).error.message).toMatch(/^cursor: /);
    expect(errorBody(dialectError(new PermissionDeniedError('read:jobs'))).error.message).toBe("This key lacks the 'read:jobs' scope (Krafter's cron:read)");
  });
});
