import { alertRows, channelsOf, subjectLink, type ChannelSource } from '../alerts/channels.js';
import type { CoreDeps } from '../deps.js';
import { UnavailableError } from '../errors.js';
import { newId } from '../ids.js';
import type { Flip, MonitorAlertPayload, Ping } from '../types.js';
import { ProjectEntity, type MonitorRow } from '../../store/entities.js';
import { Coalescer } from '../../store/coalescer.js';
import { writeMonitorStates, type MonitorStateWrite, type MonitorWriteResult } from '../../store/monitor-transitions.js';
import { transition, type MonitorEvent, type MonitorTransition } from './state.js';

/**
 * Turns a monitor event into its write (state, ping row, flip, alert rows) and writes it with
 * one conditional statement (see store/monitor-transitions.ts). Pings, pauses, resumes and the
 * timer's deadline decisions all come through here.
 */

/** A ping as received, before it becomes a row. */
export interface PingFacts {
  kind: Ping['kind'];
  exitStatus: number | null;
  sourceIp: string | null;
  userAgent: string | null;
  body: string | null;
}

export interface PlannedWrite {
  write: MonitorStateWrite;
  transition: MonitorTransition;
}

/** A monitor event as the state machine sees it. */
export type MonitorChange = { event: MonitorEvent; ping?: PingFacts; lateDeadline?: Date };

const MAX_RACE_RETRIES = 50;

function errorLine(m: MonitorRow, t: MonitorTransition, ping: PingFacts | undefined, missed: Date | null): string | null {
  if (t.alert !== 'monitor.down') return null;
  const firstLine = ping?.body?.split('\n', 1)[0]?.slice(0, 200) || null;
  switch (t.reason) {
    case 'exit_status':
      return `Exit status ${ping?.exitStatus}${firstLine ? `: ${firstLine}` : ''}`;
    case 'fail_ping':
      return `Fail ping${firstLine ? `: ${firstLine}` : ''}`;
    case 'late_start':
      return `Started at ${m.lastStartAt?.toISOString()} and did not report within ${m.graceSeconds} s`;
    default:
      return `${m.lastPingAt ? `No ping since ${m.lastPingAt.toISOString()}` : 'No ping yet'}; expected by ${missed?.toISOString()}`;
  }
}

export class MonitorTransitions {
  /**
   * The one-monitor writes of `apply` (pings above all), grouped: the pings that arrive while a
   * statement is out ride the next one, so under load many pings cost one statement and one
   * commit. Each write in a batch is still its own conditional update on its revision, inside
   * the statement's transaction with its ping row, flip, alerts and trim.
   */
  private readonly writes: Coalescer<MonitorStateWrite, MonitorWriteResult | null>;

  constructor(private readonly deps: CoreDeps) {
    this.writes = new Coalescer((batch) => this.writeBatch(batch), {
      maxBatch: 200,
      maxInFlight: 3,
      // Ping bodies are kept up to 10 KiB: a statement carries at most ~2 MiB of them.
      maxWeight: 2 * 1024 * 1024,
      weight: (w) => 512 + (w.ping?.body?.length ?? 0) + (w.ping?.userAgent?.length ?? 0),
    });
  }

  /**
   * One write per monitor per statement: two of the same monitor would match its row together
   * (one update wins) and both ping rows would join the winner. A later one in the batch is
   * answered as a lost race, so its caller reads the winner's result and tries again.
   */
  private async writeBatch(batch: MonitorStateWrite[]): Promise<Array<{ ok: true; value: MonitorWriteResult | null }>> {
    const ids = new Set<string>();
    const first = batch.map((w) => {
      if (ids.has(w.id)) return false;
      ids.add(w.id);
      return true;
    });
    const won = await writeMonitorStates(this.deps.db, batch.filter((_, i) => first[i]), this.deps.pingLogSize);
    const byId = new Map(won.map((r) => [r.id, r]));
    return batch.map((w, i) => ({ ok: true as const, value: first[i] ? (byId.get(w.id) ?? null) : null }));
  }

  /**
   * Plans the writes of one change per monitor. Project channels are read (one query) only when
   * some change alerts.
   */
  async plan(items: ReadonlyArray<{ monitor: MonitorRow; change: MonitorChange }>): Promise<PlannedWrite[]> {
    const now = this.deps.clock.now();
    const planned = items.map(({ monitor: m, change }) => ({ m, change, t: transition(m, m, change.event) }));
    const alerting = planned.filter((p) => p.t.alert !== null).map((p) => p.m.projectId);
    const projects = alerting.length > 0 ? await this.projectChannels([...new Set(alerting)]) : new Map<string, ChannelSource>();
    return planned.map(({ m, change, t }) => {
      const at = change.event.at;
      const ping: Ping | null = change.ping
        ? { id: newId('ping'), monitorId: m.id, ...change.ping, durationMs: t.durationMs, receivedAt: at }
        : null;
      const flip: Flip | null = t.flip
        ? { id: newId('flip'), projectId: m.projectId, subjectType: 'monitor', subjectId: m.id, fromStatus: t.flip.from, toStatus: t.flip.to, reason: t.flip.reason, at }
        : null;
      let alerts: MonitorStateWrite['alerts'] = [];
      if (t.alert && t.reason) {
        const missed = change.lateDeadline ?? null;
        const payload: MonitorAlertPayload = {
          event: t.alert,
          at: at.toISOString(),
          link: subjectLink(this.deps.publicUrl, 'monitor', m.id),
          reason: t.reason,
          monitor: {
            id: m.id,
            key: m.key,
            name: m.name,
            status: t.state.status,
            lastPingAt: t.state.lastPingAt?.toISOString() ?? null,
            missedDeadlineAt: missed?.toISOString() ?? null,
            failureStreak: t.state.failureStreak,
          },
          ping: ping ? { kind: ping.kind, exitStatus: ping.exitStatus, receivedAt: at.toISOString(), body: ping.body, durationMs: ping.durationMs } : null,
          error: errorLine(m, t, change.ping, missed),
        };
        // One change, one id: the flip, else the ping, else the deadline that was missed.
        const changeId = flip?.id ?? ping?.id ?? `${m.id}@${missed?.toISOString()}`;
        const sources: ChannelSource[] = [{ email: m.alertEmail, webhookUrl: m.alertWebhook, webhookFormat: m.alertWebhookFormat }];
        const project = projects.get(m.projectId);
        if (project) sources.push(project);
        alerts = alertRows({ projectId: m.projectId, shard: m.shard, subjectType: 'monitor', subjectId: m.id, changeId }, t.alert, payload, channelsOf(sources), now);
      }
      const s = t.state;
      return {
        transition: t,
        write: {
          id: m.id,
          revision: Number(m.revision),
          lateDeadline: change.lateDeadline ?? null,
          status: s.status,
          lastPingAt: s.lastPingAt,
          lastStartAt: s.lastStartAt,
          nextDeadlineAt: s.nextDeadlineAt,
          failureStreak: s.failureStreak,
          statusChangedAt: s.statusChangedAt,
          lastAlertAt: s.lastAlertAt,
          at,
          ping,
          flip,
          alerts,
        },
      };
    });
  }

  /**
   * Applies one change to one monitor, reading it again after each lost race (another ping or
   * a deadline decision won in between) until the change is written. Returns the monitor as
   * written and the transition.
   */
  async apply(read: () => Promise<MonitorRow>, change: (m: MonitorRow) => MonitorChange): Promise<{ monitor: MonitorRow; transition: MonitorTransition }> {
    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
      const m = await read();
      const [p] = await this.plan([{ monitor: m, change: change(m) }]);
      const won = await this.writes.submit(p.write);
      if (!won) continue;
      const monitor: MonitorRow = { ...m, ...p.transition.state, pingCount: won.pingCount, revision: won.revision, updatedAt: p.write.at };
      this.wake(monitor);
      this.wakeAlerts(p.write);
      return { monitor, transition: p.transition };
    }
    throw new UnavailableError('The monitor is changing too fast to record this; retry shortly');
  }

  /** Writes planned changes as one statement; returns the ids of the monitors whose write won. */
  async write(planned: readonly PlannedWrite[]): Promise<Set<string>> {
    const won = await writeMonitorStates(this.deps.db, planned.map((p) => p.write), this.deps.pingLogSize);
    return new Set(won.map((w) => w.id));
  }

  wake(m: Pick<MonitorRow, 'shard' | 'nextDeadlineAt'>): void {
    if (m.nextDeadlineAt) this.deps.waker.wake('monitor', m.shard, m.nextDeadlineAt);
  }

  /** A won write that enqueued alert rows: their owner delivers them now. */
  wakeAlerts(w: Pick<PlannedWrite['write'], 'alerts'>): void {
    const first = new Map<number, Date>();
    for (const a of w.alerts) if (!first.has(a.shard)) first.set(a.shard, a.nextAttemptAt);
    for (const [shard, at] of first) this.deps.waker.wake('alert', shard, at);
  }

  private async projectChannels(ids: string[]): Promise<Map<string, ChannelSource>> {
    const rows = await this.deps.db.em().find(ProjectEntity, { id: { $in: ids } }, { fields: ['id', 'notifyEmail', 'notifyWebhookUrl', 'notifyWebhookFormat'] });
    return new Map(rows.map((p) => [p.id, { email: p.notifyEmail, webhookUrl: p.notifyWebhookUrl, webhookFormat: p.notifyWebhookFormat }]));
  }
}
