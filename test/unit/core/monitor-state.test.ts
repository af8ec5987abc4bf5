import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import { deadlineAfter, transition, type MonitorConfig, type MonitorEvent, type MonitorState, type MonitorTransition } from '../../../server/core/monitors/state.js';
import type { PingKind } from '../../../server/core/types.js';

const T0 = new Date('2026-05-01T10:00:00Z');
const S = 1000;

/** Period 60 s, grace 10 s, alerting on change unless told otherwise. */
function config(over: Partial<MonitorConfig> = {}): MonitorConfig {
  return {
    periodSeconds: 60,
    cron: null,
    timezone: 'UTC',
    graceSeconds: 10,
    alertPolicy: 'on_change',
    alertAfterFailures: null,
    alertReminderSeconds: null,
    ...over,
  };
}

const fresh: MonitorState = {
  status: 'new',
  lastPingAt: null,
  lastStartAt: null,
  nextDeadlineAt: null,
  failureStreak: 0,
  statusChangedAt: null,
  lastAlertAt: null,
};

/** Drives one monitor through events on a hand-moved clock, keeping every transition. */
class Run {
  readonly clock = new ManualClock(T0);
  state: MonitorState = fresh;
  last!: MonitorTransition;
  constructor(readonly c: MonitorConfig = config()) {}

  apply(make: (at: Date) => MonitorEvent): MonitorTransition {
    this.last = transition(this.c, this.state, make(this.clock.now()));
    this.state = this.last.state;
    return this.last;
  }
  ping(kind: PingKind = 'success', exitStatus?: number) {
    return this.apply((at) => ({ type: 'ping', kind, exitStatus, at }));
  }
  /** Moves the clock to the current deadline and reports it missed (what the timer does). */
  miss() {
    const deadline = this.state.nextDeadlineAt;
    if (!deadline) throw new Error('no deadline to miss');
    this.clock.set(deadline);
    return this.apply((at) => ({ type: 'late', at }));
  }
  after(seconds: number): this {
    this.clock.advance(seconds * S);
    return this;
  }
  at(seconds: number): Date {
    return new Date(T0.getTime() + seconds * S);
  }
}

describe('monitor state machine', () => {
  it('goes from new to up on the first success, with a deadline of period + grace', () => {
    const r = new Run();
    const t = r.ping();
    expect(t.flip).toEqual({ from: 'new', to: 'up', reason: 'first_ping' });
    expect(t.alert).toBeNull();
    expect(t.state).toMatchObject({ status: 'up', lastPingAt: r.at(0), nextDeadlineAt: r.at(70), statusChangedAt: r.at(0), failureStreak: 0 });
  });

  it('stays up and moves the deadline on each success, without a flip', () => {
    const r = new Run();
    r.ping();
    const t = r.after(50).ping();
    expect(t.flip).toBeNull();
    expect(t.state).toMatchObject({ status: 'up', nextDeadlineAt: r.at(120), statusChangedAt: r.at(0) });
  });

  it('goes down when the deadline passes without a ping, alerting once', () => {
    const r = new Run();
    r.ping();
    const t = r.miss();
    expect(r.clock.now()).toEqual(r.at(70));
    expect(t.flip).toEqual({ from: 'up', to: 'down', reason: 'missed_deadline' });
    expect(t.alert).toBe('monitor.down');
    // On change: nothing more is due until it pings again.
    expect(t.state).toMatchObject({ status: 'down', nextDeadlineAt: null, failureStreak: 1, lastAlertAt: r.at(70), statusChangedAt: r.at(70) });
  });

  it('comes back up on the next success, alerting the recovery', () => {
    const r = new Run();
    r.ping();
    r.miss();
    const t = r.after(100).ping();
    expect(t.flip).toEqual({ from: 'down', to: 'up', reason: 'ping' });
    expect(t.alert).toBe('monitor.up');
    expect(t.state).toMatchObject({ status: 'up', failureStreak: 0, nextDeadlineAt: r.at(240), lastAlertAt: r.at(170) });
  });

  it('goes down at once on a fail ping, from up and from new', () => {
    const r = new Run();
    r.ping();
    const t = r.after(5).ping('fail');
    expect(t.flip).toEqual({ from: 'up', to: 'down', reason: 'fail_ping' });
    expect(t.alert).toBe('monitor.down');
    expect(t.state).toMatchObject({ status: 'down', lastPingAt: r.at(5), failureStreak: 1, nextDeadlineAt: null });

    const n = new Run().ping('fail');
    expect(n.flip).toEqual({ from: 'new', to: 'down', reason: 'fail_ping' });
    expect(n.alert).toBe('monitor.down');
  });

  it('reads exit status 0 as a success and 1-255 as a fail', () => {
    const r = new Run();
    expect(r.ping('success', 0).flip).toEqual({ from: 'new', to: 'up', reason: 'first_ping' });
    const t = r.after(1).ping('success', 3);
    expect(t.flip).toEqual({ from: 'up', to: 'down', reason: 'exit_status' });
    expect(t.alert).toBe('monitor.down');
    expect(r.after(1).ping('success', 0).flip).toEqual({ from: 'down', to: 'up', reason: 'ping' });
  });

  it('does not alert again on a second failure while down (on change)', () => {
    const r = new Run();
    r.ping();
    r.after(1).ping('fail');
    const t = r.after(1).ping('fail');
    expect(t.flip).toBeNull();
    expect(t.alert).toBeNull();
    expect(t.state).toMatchObject({ status: 'down', failureStreak: 2, statusChangedAt: r.at(1) });
  });

  it('gives a started run grace to report: a start moves the deadline to start + grace', () => {
    const r = new Run();
    r.ping();
    const t = r.after(20).ping('start');
    expect(t.flip).toBeNull();
    expect(t.state).toMatchObject({ status: 'up', lastStartAt: r.at(20), nextDeadlineAt: r.at(30) });
  });

  it('counts a start without a success within grace as late', () => {
    const r = new Run();
    r.ping();
    r.after(20).ping('start');
    const t = r.miss();
    expect(r.clock.now()).toEqual(r.at(30));
    expect(t.flip).toEqual({ from: 'up', to: 'down', reason: 'late_start' });
    expect(t.alert).toBe('monitor.down');
  });

  it('lets a new monitor with a run started go down when the run does not report', () => {
    const r = new Run();
    expect(r.ping('start').state).toMatchObject({ status: 'new', nextDeadlineAt: r.at(10) });
    expect(r.miss().flip).toEqual({ from: 'new', to: 'down', reason: 'late_start' });
  });

  it('records the run duration on the success or fail that ends a start', () => {
    const r = new Run();
    r.ping('start');
    expect(r.after(7).ping().durationMs).toBe(7000);
    // The run is over: the next success has no start of its own.
    expect(r.after(30).ping().durationMs).toBeNull();
    r.after(1).ping('start');
    expect(r.after(2).ping('fail').durationMs).toBe(2000);
  });

  it('uses the next cron time in the monitor zone, plus grace, for the deadline', () => {
    // 09:00 every day in Riga is 06:00 UTC in summer.
    const c = config({ periodSeconds: null, cron: '0 9 * * *', timezone: 'Europe/Riga', graceSeconds: 300 });
    const t = transition(c, fresh, { type: 'ping', kind: 'success', at: new Date('2026-05-01T06:00:20Z') });
    expect(t.state.nextDeadlineAt).toEqual(new Date('2026-05-02T06:05:00Z'));
    expect(deadlineAfter(c, new Date('2026-05-01T05:59:00Z'))).toEqual(new Date('2026-05-01T06:05:00Z'));
  });

  it('ignores pings and deadlines while paused and returns to new on resume', () => {
    const r = new Run();
    r.ping();
    const p = r.after(1).apply((at) => ({ type: 'pause', at }));
    expect(p.flip).toEqual({ from: 'up', to: 'paused', reason: 'paused' });
    expect(p.state.nextDeadlineAt).toBeNull();
    for (const kind of ['success', 'fail', 'start'] as const) {
      const t = r.after(1).ping(kind);
      expect(t.flip).toBeNull();
      expect(t.state).toMatchObject({ status: 'paused', nextDeadlineAt: null });
    }
    expect(r.apply((at) => ({ type: 'late', at })).flip).toBeNull();
    const resumed = r.after(1).apply((at) => ({ type: 'resume', at }));
    expect(resumed.flip).toEqual({ from: 'paused', to: 'new', reason: 'resumed' });
    expect(resumed.state).toMatchObject({ status: 'new', nextDeadlineAt: null, failureStreak: 0 });
    expect(r.after(1).ping().flip).toEqual({ from: 'new', to: 'up', reason: 'first_ping' });
  });

  it('pausing a paused monitor and resuming a running one change nothing', () => {
    const r = new Run();
    r.ping();
    expect(r.apply((at) => ({ type: 'resume', at })).flip).toBeNull();
    r.apply((at) => ({ type: 'pause', at }));
    expect(r.apply((at) => ({ type: 'pause', at })).flip).toBeNull();
  });

  it('moves the deadline when the period changes, from the last ping', () => {
    const r = new Run();
    r.ping();
    const t = transition(config({ periodSeconds: 3600 }), r.state, { type: 'reconfigure', at: r.at(30) });
    expect(t.flip).toBeNull();
    expect(t.state.nextDeadlineAt).toEqual(r.at(3610));
    // A shorter period may put the deadline in the past: the timer then finds it late at once.
    expect(transition(config({ periodSeconds: 5, graceSeconds: 1 }), r.state, { type: 'reconfigure', at: r.at(30) }).state.nextDeadlineAt).toEqual(r.at(6));
    expect(transition(config(), fresh, { type: 'reconfigure', at: r.at(30) }).state.nextDeadlineAt).toBeNull();
  });

  it('takes periods and graces of 1 s', () => {
    const r = new Run(config({ periodSeconds: 1, graceSeconds: 1 }));
    r.ping();
    expect(r.state.nextDeadlineAt).toEqual(r.at(2));
    expect(r.miss().state.status).toBe('down');
  });
});

describe('monitor state machine under counting alert policies', () => {
  it('every failure: keeps a deadline while down and alerts each missed period', () => {
    const r = new Run(config({ alertPolicy: 'every_failure' }));
    r.ping();
    const first = r.miss();
    expect(first.alert).toBe('monitor.down');
    expect(first.state.nextDeadlineAt).toEqual(r.at(130));
    const second = r.miss();
    expect(second.flip).toBeNull();
    expect(second.alert).toBe('monitor.down');
    expect(second.state).toMatchObject({ failureStreak: 2, nextDeadlineAt: r.at(190) });
    expect(r.after(1).ping('fail').alert).toBe('monitor.down');
    expect(r.after(1).ping().alert).toBe('monitor.up');
  });

  it('after N failures: the status flips at the first, the alert waits for the N-th, the recovery follows it', () => {
    const r = new Run(config({ alertPolicy: 'after_failures', alertAfterFailures: 3 }));
    r.ping();
    const one = r.miss();
    expect(one.flip).toEqual({ from: 'up', to: 'down', reason: 'missed_deadline' });
    expect(one.alert).toBeNull();
    expect(r.miss().alert).toBeNull();
    const three = r.miss();
    expect(three.alert).toBe('monitor.down');
    expect(three.state.failureStreak).toBe(3);
    // Nothing more to count: no deadline until the next ping.
    expect(three.state.nextDeadlineAt).toBeNull();
    expect(r.after(5).ping().alert).toBe('monitor.up');
  });

  it('after N failures: a streak cut short recovers silently', () => {
    const r = new Run(config({ alertPolicy: 'after_failures', alertAfterFailures: 3 }));
    r.ping();
    r.miss();
    const t = r.after(1).ping();
    expect(t.flip).toEqual({ from: 'down', to: 'up', reason: 'ping' });
    expect(t.alert).toBeNull();
  });

  it('counts missed periods while nobody looked only once', () => {
    const r = new Run(config({ alertPolicy: 'every_failure' }));
    r.ping();
    r.clock.set(r.at(1000));
    const t = r.apply((at) => ({ type: 'late', at }));
    expect(t.state.failureStreak).toBe(1);
    expect(t.state.nextDeadlineAt).toEqual(r.at(1060));
  });
});
