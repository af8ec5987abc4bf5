import { countsMoreFailures, failureAlerts, recoveryAlerts } from '../alerts/policy.js';
import { nextRunAfter } from '../schedules/timing.js';
import type { AlertPolicy, FlipReason, MonitorStatus, PingKind } from '../types.js';

/**
 * The monitor state machine: pure, time passed in. Every change of a monitor's status goes
 * through `transition`, whether a ping, a missed deadline, a pause or a new configuration
 * caused it; the store writes its result with one conditional update.
 *
 *   new  --success-->  up  --deadline passed / fail-->  down  --success-->  up
 *   any  --pause-->  paused  --resume-->  new            (paused: pings change no status)
 *
 * The deadline is when the monitor is late without a ping: the next expected ping (last ping +
 * period, or the next cron time after it in the monitor's zone) plus grace. A `start` ping sets
 * it to start + grace: the run must report within grace. A down monitor keeps a deadline only
 * while its alert policy still counts failures (see `countsMoreFailures`), so the timer counts
 * its missed periods; otherwise nothing is due until it pings. New and paused monitors have none,
 * except a new monitor with a run started.
 */

export interface MonitorTiming {
  periodSeconds: number | null;
  cron: string | null;
  timezone: string;
  graceSeconds: number;
}

export interface MonitorState {
  status: MonitorStatus;
  lastPingAt: Date | null;
  lastStartAt: Date | null;
  nextDeadlineAt: Date | null;
  failureStreak: number;
  statusChangedAt: Date | null;
  lastAlertAt: Date | null;
}

export type MonitorConfig = MonitorTiming & AlertPolicy;

export type MonitorEvent =
  /** A ping; a non-null `exitStatus` makes it a success (0) or a fail (1-255). */
  | { type: 'ping'; kind: PingKind; exitStatus?: number | null; at: Date }
  /** The deadline passed without a ping (the caller checked it is the deadline the state holds). */
  | { type: 'late'; at: Date }
  | { type: 'pause'; at: Date }
  | { type: 'resume'; at: Date }
  /** Period, cron, grace or policy changed: the deadline is computed again. */
  | { type: 'reconfigure'; at: Date };

export interface MonitorFlip {
  from: MonitorStatus;
  to: MonitorStatus;
  reason: FlipReason;
}

export interface MonitorTransition {
  state: MonitorState;
  /** The status change, if the status changed. */
  flip: MonitorFlip | null;
  /** The alert the change calls for under the monitor's policy, if any. */
  alert: 'monitor.down' | 'monitor.up' | null;
  /** Why it alerts (the flip's reason, or the failure's when the status stayed down). */
  reason: FlipReason | null;
  /** A success or fail that ends a started run: the run's duration. */
  durationMs: number | null;
}

/** The next deadline after a ping at `at`: the next expected ping plus grace (null: a cron that never fires again). */
export function deadlineAfter(t: MonitorTiming, at: Date): Date | null {
  const next = t.cron
    ? nextRunAfter({ cron: t.cron, timezone: t.timezone, intervalSeconds: null }, at)
    : new Date(at.getTime() + (t.periodSeconds ?? 0) * 1000);
  return next ? new Date(next.getTime() + t.graceSeconds * 1000) : null;
}

/** The ping kind an exit status stands for: 0 is a success, 1-255 a fail. */
export function kindOfExitStatus(exitStatus: number): 'success' | 'fail' {
  return exitStatus === 0 ? 'success' : 'fail';
}

/** A started run that has not reported yet: a start newer than the last success or fail. */
function openStart(s: MonitorState): Date | null {
  return s.lastStartAt && (!s.lastPingAt || s.lastStartAt > s.lastPingAt) ? s.lastStartAt : null;
}

const graceAfter = (c: MonitorTiming, at: Date) => new Date(at.getTime() + c.graceSeconds * 1000);

/**
 * The deadline of a down monitor after a failure at `at` (`expected`: when the missed ping was
 * due), or null when its policy counts no more failures. Periods missed while nobody looked
 * (a timer that was down) count once: the next deadline is never already past.
 */
function deadlineWhileDown(c: MonitorConfig, streak: number, expected: Date, at: Date): Date | null {
  if (!countsMoreFailures(c, streak)) return null;
  const next = deadlineAfter(c, expected);
  if (next && next > at) return next;
  return deadlineAfter(c, new Date(at.getTime() - c.graceSeconds * 1000));
}

function unchanged(state: MonitorState, durationMs: number | null = null): MonitorTransition {
  return { state, flip: null, alert: null, reason: null, durationMs };
}

export function transition(c: MonitorConfig, s: MonitorState, e: MonitorEvent): MonitorTransition {
  switch (e.type) {
    case 'ping':
      return ping(c, s, e.exitStatus == null ? e.kind : kindOfExitStatus(e.exitStatus), e.exitStatus != null, e.at);
    case 'late':
      return late(c, s, e.at);
    case 'pause':
      if (s.status === 'paused') return unchanged(s);
      return {
        state: { ...s, status: 'paused', nextDeadlineAt: null, failureStreak: 0, statusChangedAt: e.at },
        flip: { from: s.status, to: 'paused', reason: 'paused' },
        alert: null,
        reason: 'paused',
        durationMs: null,
      };
    case 'resume':
      if (s.status !== 'paused') return unchanged(s);
      return {
        state: { ...s, status: 'new', nextDeadlineAt: null, failureStreak: 0, statusChangedAt: e.at },
        flip: { from: 'paused', to: 'new', reason: 'resumed' },
        alert: null,
        reason: 'resumed',
        durationMs: null,
      };
    case 'reconfigure':
      return unchanged({ ...s, nextDeadlineAt: reconfiguredDeadline(c, s, e.at) });
  }
}

function ping(c: MonitorConfig, s: MonitorState, kind: PingKind, byExitStatus: boolean, at: Date): MonitorTransition {
  if (kind === 'start') {
    // A paused monitor remembers the start (a later success still gets its duration) but has no deadline.
    const nextDeadlineAt = s.status === 'paused' || (s.status === 'down' && !countsMoreFailures(c, s.failureStreak)) ? s.nextDeadlineAt : graceAfter(c, at);
    return unchanged({ ...s, lastStartAt: at, nextDeadlineAt });
  }
  const started = openStart(s);
  const durationMs = started ? Math.max(0, at.getTime() - started.getTime()) : null;
  if (s.status === 'paused') return unchanged({ ...s, lastPingAt: at }, durationMs);

  if (kind === 'success') {
    const state: MonitorState = { ...s, status: 'up', lastPingAt: at, nextDeadlineAt: deadlineAfter(c, at), failureStreak: 0 };
    if (s.status === 'up') return unchanged(state, durationMs);
    const reason: FlipReason = s.status === 'new' ? 'first_ping' : 'ping';
    const alert = s.status === 'down' && recoveryAlerts(c, s.failureStreak) ? 'monitor.up' : null;
    return {
      state: { ...state, statusChangedAt: at, lastAlertAt: alert ? at : s.lastAlertAt },
      flip: { from: s.status, to: 'up', reason },
      alert,
      reason,
      durationMs,
    };
  }

  // A fail: the run reported, so a counting policy expects the next one a period after it.
  const streak = s.failureStreak + 1;
  const reason: FlipReason = byExitStatus ? 'exit_status' : 'fail_ping';
  const alert = failureAlerts(c, streak) ? 'monitor.down' : null;
  const state: MonitorState = {
    ...s,
    status: 'down',
    lastPingAt: at,
    failureStreak: streak,
    nextDeadlineAt: deadlineWhileDown(c, streak, at, at),
    statusChangedAt: s.status === 'down' ? s.statusChangedAt : at,
    lastAlertAt: alert ? at : s.lastAlertAt,
  };
  return { state, flip: s.status === 'down' ? null : { from: s.status, to: 'down', reason }, alert, reason, durationMs };
}

/** The deadline held in `s` passed at `at` without a ping. */
function late(c: MonitorConfig, s: MonitorState, at: Date): MonitorTransition {
  if (s.status === 'paused' || !s.nextDeadlineAt) return unchanged(s);
  const started = openStart(s);
  const reason: FlipReason = started ? 'late_start' : 'missed_deadline';
  // When the missed ping was due: the deadline less grace (for a started run, its start).
  const expected = started ?? new Date(s.nextDeadlineAt.getTime() - c.graceSeconds * 1000);
  const streak = s.failureStreak + 1;
  const alert = failureAlerts(c, streak) ? 'monitor.down' : null;
  const state: MonitorState = {
    ...s,
    status: 'down',
    failureStreak: streak,
    nextDeadlineAt: deadlineWhileDown(c, streak, expected, at),
    statusChangedAt: s.status === 'down' ? s.statusChangedAt : at,
    lastAlertAt: alert ? at : s.lastAlertAt,
  };
  return { state, flip: s.status === 'down' ? null : { from: s.status, to: 'down', reason }, alert, reason, durationMs: null };
}

/** The deadline under a new configuration, from what the monitor last saw. */
function reconfiguredDeadline(c: MonitorConfig, s: MonitorState, at: Date): Date | null {
  if (s.status === 'paused') return null;
  const started = openStart(s);
  if (s.status === 'down') {
    if (!countsMoreFailures(c, s.failureStreak)) return null;
    if (started) return graceAfter(c, started);
    return deadlineWhileDown(c, s.failureStreak, s.lastPingAt ?? s.statusChangedAt ?? at, at);
  }
  if (started) return graceAfter(c, started);
  if (s.status === 'new' || !s.lastPingAt) return null;
  return deadlineAfter(c, s.lastPingAt);
}
