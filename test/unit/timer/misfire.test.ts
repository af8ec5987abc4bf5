import { describe, expect, it } from 'vitest';
import { misfireAction, planTicks } from '../../../server/timer/misfire.js';

const T = Date.parse('2026-06-01T12:00:00Z');
const everySecond = { cron: '* * * * * *', timezone: 'UTC', intervalSeconds: null };
const everyMinute = { cron: null, timezone: 'UTC', intervalSeconds: 60 };
const opts = { claimAheadMs: 2000, misfireThresholdMs: 60_000, maxTicks: 100 };

describe('misfire decision table', () => {
  it.each([
    [0, 'fire_once', 'fire'],
    [0, 'skip', 'fire'],
    [59_999, 'skip', 'fire'],
    [60_000, 'skip', 'fire'],
    [60_000, 'fire_once', 'fire'],
    [60_001, 'fire_once', 'fire_once'],
    [60_001, 'skip', 'skip'],
    [86_400_000, 'fire_once', 'fire_once'],
    [86_400_000, 'skip', 'skip'],
    [-5_000, 'skip', 'fire'],
  ] as const)('a tick %i ms late with policy %s: %s', (late, policy, action) => {
    expect(misfireAction(late, 60_000, policy)).toBe(action);
  });
});

describe('planning the ticks to claim', () => {
  it('claims every occurrence up to now + claim-ahead and moves next_run_at past it', () => {
    const plan = planTicks({ trigger: everySecond, dueMs: T + 1000, misfire: 'fire_once' }, T, opts);
    expect(plan.ticks).toEqual([T + 1000, T + 2000]);
    expect(plan.nextRunAtMs).toBe(T + 3000);
    expect(plan.misfire).toBeNull();
  });

  it('fires ticks late by less than the threshold one by one (a failover loses nothing)', () => {
    const plan = planTicks({ trigger: everySecond, dueMs: T - 5000, misfire: 'skip' }, T, opts);
    expect(plan.ticks).toHaveLength(8); // T-5s .. T+2s
    expect(plan.ticks[0]).toBe(T - 5000);
    expect(plan.nextRunAtMs).toBe(T + 3000);
  });

  it('fire_once: one catch-up run carrying the first missed occurrence, then the next future occurrence', () => {
    const plan = planTicks({ trigger: everyMinute, dueMs: T - 10 * 60_000, misfire: 'fire_once' }, T, opts);
    expect(plan.misfire).toBe('fire_once');
    expect(plan.ticks).toEqual([T - 10 * 60_000]);
    // Intervals keep their cadence from the missed occurrence.
    expect(plan.nextRunAtMs).toBe(T + 60_000);
  });

  it('skip: no run, next_run_at jumps to the next future occurrence', () => {
    const plan = planTicks({ trigger: everyMinute, dueMs: T - 10 * 60_000 - 1, misfire: 'skip' }, T, opts);
    expect(plan.misfire).toBe('skip');
    expect(plan.ticks).toEqual([]);
    expect(plan.nextRunAtMs).toBe(T + 60_000 - 1);
  });

  it('after a misfire, still claims the upcoming ticks inside the claim-ahead window', () => {
    const plan = planTicks({ trigger: everySecond, dueMs: T - 3_600_000, misfire: 'fire_once' }, T, opts);
    expect(plan.ticks).toEqual([T - 3_600_000, T + 1000, T + 2000]);
    expect(plan.nextRunAtMs).toBe(T + 3000);
  });

  it('caps the ticks of one claim; the rest follow in the next claim', () => {
    const plan = planTicks({ trigger: everySecond, dueMs: T - 50_000, misfire: 'fire_once' }, T, { ...opts, maxTicks: 10 });
    expect(plan.ticks).toHaveLength(10);
    expect(plan.nextRunAtMs).toBe(T - 40_000);
  });

  it('claims nothing yet when the next occurrence is beyond the claim-ahead window', () => {
    const plan = planTicks({ trigger: everyMinute, dueMs: T + 30_000, misfire: 'fire_once' }, T, opts);
    expect(plan).toEqual({ ticks: [], nextRunAtMs: T + 30_000, misfire: null });
  });
});
