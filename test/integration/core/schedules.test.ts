import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

let t: TestCore;
let a: TestTenant;
const clock = new ManualClock(new Date('2026-03-07T12:00:00Z'));

beforeAll(async () => {
  t = await createTestCore({ clock });
  a = await t.tenant('a');
});
afterAll(() => t.close());

describe('schedules', () => {
  it('creates a cron schedule in a time zone and computes its next run there', async () => {
    const s = await t.core.schedules.create(a.actor, {
      name: 'nightly',
      url: 'https://example.com/hook',
      cron: '30 2 * * *',
      timezone: 'America/New_York',
    });
    expect(s.id).toMatch(/^sched_[0-9a-z]{26}$/);
    expect(s.state).toBe('active');
    expect(s.method).toBe('POST');
    // Local 02:30 on 2026-03-08 does not exist (clocks jump 02:00 -> 03:00): it fires at 03:00 EDT.
    expect(s.nextRunAt?.toISOString()).toBe('2026-03-08T07:00:00.000Z');
    const got = await t.core.schedules.get(a.actor, s.id);
    expect(got.nextRunAt?.toISOString()).toBe(s.nextRunAt?.toISOString());
    expect(got.headers).toEqual({});
  });
});
