import type { AlertPolicy } from '../types.js';

/**
 * The alert policy of a monitor or schedule, as a pure decision over its failure streak (the
 * failures in a row, the one being decided included):
 *
 * - `on_change` (default): the first failure of a streak alerts, the rest do not.
 * - `every_failure`: every failure alerts.
 * - `after_failures` N: the N-th failure in a row alerts, once per streak.
 *
 * A recovery (the success that ends a streak) alerts only when the streak had reached the
 * policy's alerting point, so nobody hears "recovered" about a failure they were never told of.
 * Reminders while still failing (`alertReminderSeconds`) are driven by the timer, not decided here.
 */

export const DEFAULT_ALERT_POLICY: AlertPolicy = { alertPolicy: 'on_change', alertAfterFailures: null, alertReminderSeconds: null };

/** The streak length at which the first failure alert of a streak goes out. */
export function alertingPoint(p: AlertPolicy): number {
  return p.alertPolicy === 'after_failures' ? Math.max(1, p.alertAfterFailures ?? 1) : 1;
}

/** Whether the failure that makes the streak `streak` long alerts. */
export function failureAlerts(p: AlertPolicy, streak: number): boolean {
  if (streak < 1) return false;
  if (p.alertPolicy === 'every_failure') return true;
  return streak === alertingPoint(p);
}

/** Whether a success after `streakBefore` failures in a row alerts a recovery. */
export function recoveryAlerts(p: AlertPolicy, streakBefore: number): boolean {
  return streakBefore >= 1 && streakBefore >= alertingPoint(p);
}

/**
 * Whether more failures of a silent subject still matter after this streak: true while a later
 * failure could alert (every failure does; `after_failures` until the N-th). A monitor keeps a
 * deadline while down only then, so the timer counts its missed periods.
 */
export function countsMoreFailures(p: AlertPolicy, streak: number): boolean {
  if (p.alertPolicy === 'every_failure') return true;
  return streak < alertingPoint(p);
}
