import { describe, expect, it } from 'vitest';
import { nextRunAfter } from '../../../server/core/schedules/timing.js';
import { planTicks } from '../../../server/timer/misfire.js';

/**
 * DST golden vectors (2026). Semantics are croner's, which the timer inherits through
 * `nextRunAfter`:
 * - a local time that does not exist (spring forward) fires at the first instant after the gap
 *   (New York 02:30 on 8 March -> 03:00 EDT; Riga 03:30 on 29 March -> 04:00 EEST);
 * - a local time that happens twice (fall back) fires once, at its first occurrence
 *   (Riga 03:30 on 25 October fires at 03:30 EEST only);
 * - an hourly schedule (`0 * * * *`) fires once per real hour across both transitions: the
 *   skipped local hour has no run, the repeated local hour runs in both of its real hours.
 *
 * 2026 transitions: New York 8 March 07:00Z (02:00 EST -> 03:00 EDT) and 1 November 06:00Z
 * (02:00 EDT -> 01:00 EST); Riga 29 March 01:00Z (03:00 EET -> 04:00 EEST) and 25 October 01:00Z
 * (04:00 EEST -> 03:00 EET).
 */

function runs(cron: string, timezone: string, fromIso: string, n: number): string[] {
  const out: string[] = [];
  let at = new Date(fromIso);
  for (let i = 0; i < n; i++) {
    const next = nextRunAfter({ cron, timezone, intervalSeconds: null }, at);
    if (!next) break;
    out.push(next.toISOString().replace('.000Z', 'Z'));
    at = next;
  }
  return out;
}

describe('DST: America/New_York, 2026', () => {
  it('hourly across spring forward: one run per real hour, none for the missing 02:00', () => {
    expect(runs('0 * * * *', 'America/New_York', '2026-03-08T04:30:00Z', 4)).toEqual([
      '2026-03-08T05:00:00Z', // 00:00 EST
      '2026-03-08T06:00:00Z', // 01:00 EST
      '2026-03-08T07:00:00Z', // 03:00 EDT
      '2026-03-08T08:00:00Z', // 04:00 EDT
    ]);
  });

  it('hourly across fall back: the repeated 01:00 runs in both of its real hours', () => {
    expect(runs('0 * * * *', 'America/New_York', '2026-11-01T04:30:00Z', 4)).toEqual([
      '2026-11-01T05:00:00Z', // 01:00 EDT
      '2026-11-01T06:00:00Z', // 01:00 EST
      '2026-11-01T07:00:00Z', // 02:00 EST
      '2026-11-01T08:00:00Z', // 03:00 EST
    ]);
  });

  it('daily 02:30: the nonexistent 02:30 on 8 March fires at 03:00 EDT', () => {
    expect(runs('30 2 * * *', 'America/New_York', '2026-03-06T12:00:00Z', 3)).toEqual([
      '2026-03-07T07:30:00Z',
      '2026-03-08T07:00:00Z',
      '2026-03-09T06:30:00Z',
    ]);
    expect(runs('30 2 * * *', 'America/New_York', '2026-10-30T12:00:00Z', 3)).toEqual([
      '2026-10-31T06:30:00Z',
      '2026-11-01T07:30:00Z', // 02:30 EST exists once
      '2026-11-02T07:30:00Z',
    ]);
  });

  it('daily 03:30 is unaffected except for the offset change', () => {
    expect(runs('30 3 * * *', 'America/New_York', '2026-03-06T12:00:00Z', 3)).toEqual([
      '2026-03-07T08:30:00Z',
      '2026-03-08T07:30:00Z',
      '2026-03-09T07:30:00Z',
    ]);
    expect(runs('30 3 * * *', 'America/New_York', '2026-10-30T12:00:00Z', 3)).toEqual([
      '2026-10-31T07:30:00Z',
      '2026-11-01T08:30:00Z',
      '2026-11-02T08:30:00Z',
    ]);
  });

  it('daily 01:30 (repeated on 1 November) fires once, at its first occurrence', () => {
    expect(runs('30 1 * * *', 'America/New_York', '2026-10-30T12:00:00Z', 3)).toEqual([
      '2026-10-31T05:30:00Z',
      '2026-11-01T05:30:00Z', // 01:30 EDT; not again at 01:30 EST (06:30Z)
      '2026-11-02T06:30:00Z',
    ]);
  });
});

describe('DST: Europe/Riga, 2026', () => {
  it('hourly across spring forward and fall back: one run per real hour', () => {
    expect(runs('0 * * * *', 'Europe/Riga', '2026-03-28T23:30:00Z', 4)).toEqual([
      '2026-03-29T00:00:00Z', // 02:00 EET
      '2026-03-29T01:00:00Z', // 04:00 EEST (03:00 does not exist)
      '2026-03-29T02:00:00Z',
      '2026-03-29T03:00:00Z',
    ]);
    expect(runs('0 * * * *', 'Europe/Riga', '2026-10-24T23:30:00Z', 4)).toEqual([
      '2026-10-25T00:00:00Z', // 03:00 EEST
      '2026-10-25T01:00:00Z', // 03:00 EET (repeated hour)
      '2026-10-25T02:00:00Z',
      '2026-10-25T03:00:00Z',
    ]);
  });

  it('daily 02:30 is unaffected except for the offset change', () => {
    expect(runs('30 2 * * *', 'Europe/Riga', '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T00:30:00Z',
      '2026-03-29T00:30:00Z',
      '2026-03-29T23:30:00Z',
    ]);
    expect(runs('30 2 * * *', 'Europe/Riga', '2026-10-23T12:00:00Z', 3)).toEqual([
      '2026-10-23T23:30:00Z',
      '2026-10-24T23:30:00Z',
      '2026-10-26T00:30:00Z',
    ]);
  });

  it('daily 03:30: nonexistent on 29 March (fires 04:00 EEST), repeated on 25 October (fires once)', () => {
    expect(runs('30 3 * * *', 'Europe/Riga', '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00Z',
      '2026-03-29T01:00:00Z',
      '2026-03-30T00:30:00Z',
    ]);
    expect(runs('30 3 * * *', 'Europe/Riga', '2026-10-23T12:00:00Z', 3)).toEqual([
      '2026-10-24T00:30:00Z',
      '2026-10-25T00:30:00Z', // 03:30 EEST; not again at 03:30 EET (01:30Z)
      '2026-10-26T01:30:00Z',
    ]);
  });

  it('the timer claims the same instants: ticks planned across a transition follow the vectors', () => {
    const trigger = { cron: '30 3 * * *', timezone: 'Europe/Riga', intervalSeconds: null };
    const due = Date.parse('2026-03-29T01:00:00Z');
    const plan = planTicks({ trigger, dueMs: due, misfire: 'fire_once' }, due - 1000, {
      claimAheadMs: 2000,
      misfireThresholdMs: 60_000,
      maxTicks: 10,
    });
    expect(plan.ticks.map((t) => new Date(t).toISOString())).toEqual(['2026-03-29T01:00:00.000Z']);
    expect(new Date(plan.nextRunAtMs!).toISOString()).toBe('2026-03-30T00:30:00.000Z');
  });
});
