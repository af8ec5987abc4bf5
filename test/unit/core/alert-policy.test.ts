import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_POLICY, countsMoreFailures, failureAlerts, recoveryAlerts } from '../../../server/core/alerts/policy.js';
import type { AlertPolicy } from '../../../server/core/types.js';

const onChange = DEFAULT_ALERT_POLICY;
const every: AlertPolicy = { alertPolicy: 'every_failure', alertAfterFailures: null, alertReminderSeconds: null };
const afterThree: AlertPolicy = { alertPolicy: 'after_failures', alertAfterFailures: 3, alertReminderSeconds: null };

/** Which failures of a streak of `n` alert. */
const alerting = (p: AlertPolicy, n: number) => Array.from({ length: n }, (_, i) => i + 1).filter((streak) => failureAlerts(p, streak));

describe('alert policy', () => {
  it('on change (the default) alerts the first failure of a streak only', () => {
    expect(onChange.alertPolicy).toBe('on_change');
    expect(alerting(onChange, 5)).toEqual([1]);
  });

  it('every failure alerts each one', () => {
    expect(alerting(every, 4)).toEqual([1, 2, 3, 4]);
  });

  it('after N failures alerts the N-th in a row, once', () => {
    expect(alerting(afterThree, 6)).toEqual([3]);
    expect(alerting({ ...afterThree, alertAfterFailures: 1 }, 3)).toEqual([1]);
  });

  it('alerts a recovery only when the streak reached the alerting point', () => {
    expect(recoveryAlerts(onChange, 0)).toBe(false);
    expect(recoveryAlerts(onChange, 1)).toBe(true);
    expect(recoveryAlerts(every, 2)).toBe(true);
    expect(recoveryAlerts(afterThree, 2)).toBe(false);
    expect(recoveryAlerts(afterThree, 3)).toBe(true);
    expect(recoveryAlerts(afterThree, 7)).toBe(true);
  });

  it('counts more failures only while one could still alert', () => {
    expect(countsMoreFailures(onChange, 1)).toBe(false);
    expect(countsMoreFailures(every, 9)).toBe(true);
    expect([1, 2, 3].map((s) => countsMoreFailures(afterThree, s))).toEqual([true, true, false]);
  });
});
