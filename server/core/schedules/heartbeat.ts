import type { EntityManager } from '@mikro-orm/postgresql';
import { MonitorEntity, type MonitorRow } from '../../store/entities.js';
import { isUniqueViolation } from '../../store/errors.js';
import { monitorOfSchedule, monitorsOfSchedules } from '../../store/monitor-reads.js';
import type { CoreDeps } from '../deps.js';
import type { MonitorService } from '../monitors/service.js';
import type { Actor, Monitor, Schedule } from '../types.js';

/**
 * A schedule's heartbeat: a monitor that belongs to the schedule (`monitors.schedule_id`, at
 * most one per schedule). It expects a ping on the schedule's own trigger (its cron in its time
 * zone, or its interval) and is late `graceSeconds` after each expected occurrence; its name and
 * trigger follow the schedule's when those change. It is part of the schedule: set, changed and
 * removed with the schedule's scope (`write:jobs`), read with `read:jobs`, deleted with the
 * schedule. As a monitor it is like any other: pinged at its URL, shown and alerting through
 * the monitor surfaces.
 */
export interface HeartbeatSettings {
  /** How late a ping may be after each expected occurrence before the heartbeat is down. */
  graceSeconds: number;
}

/** What a heartbeat takes from its schedule. */
function followed(s: Schedule): Pick<Monitor, 'name' | 'cron' | 'timezone' | 'periodSeconds'> {
  return { name: s.name, cron: s.cron, timezone: s.timezone, periodSeconds: s.intervalSeconds };
}

const differs = (m: Monitor, s: Schedule) =>
  m.name !== s.name || m.cron !== s.cron || m.timezone !== s.timezone || m.periodSeconds !== s.intervalSeconds;

/** Deletes the flips of a schedule's heartbeat (the monitor itself goes by the foreign key's cascade, or explicitly). */
const DELETE_HEARTBEAT_FLIPS_SQL = `delete from flips where subject_id in (select id from monitors where schedule_id = ?)`;

export class Heartbeats {
  constructor(
    private readonly deps: CoreDeps,
    private readonly monitors: MonitorService,
  ) {}

  /** The heartbeat `s` gets with `settings`: checked (a bad grace names `grace_seconds`), not stored. */
  build(actor: Actor, s: Schedule, settings: HeartbeatSettings): MonitorRow {
    return { ...this.monitors.build(actor, { ...followed(s), graceSeconds: settings.graceSeconds }), scheduleId: s.id };
  }

  /** Stores a built heartbeat in the transaction that stores its schedule. */
  async insertIn(em: EntityManager, built: MonitorRow): Promise<void> {
    await em.insert(MonitorEntity, built);
  }

  /**
   * After `s` was stored: its heartbeat becomes what `settings` say (`built` from `build`, made
   * or re-timed), is removed (`null`), or, left out, follows `s`'s name and trigger.
   */
  async apply(actor: Actor, s: Schedule, settings: HeartbeatSettings | null | undefined, built?: MonitorRow): Promise<void> {
    const current = await monitorOfSchedule(this.deps.db, actor.projectId, s.id);
    if (settings === null) {
      if (current) await this.removeIn(this.deps.db.em(), s.id);
      return;
    }
    if (settings === undefined) {
      if (current && differs(current, s)) await this.monitors.reconfigure(actor, current.id, followed(s));
      return;
    }
    if (current) {
      if (differs(current, s) || current.graceSeconds !== settings.graceSeconds) {
        await this.monitors.reconfigure(actor, current.id, { ...followed(s), graceSeconds: settings.graceSeconds });
      }
      return;
    }
    try {
      await this.insertIn(this.deps.db.em(), built ?? this.build(actor, s, settings));
    } catch (err) {
      // Another request gave it one meanwhile: apply the settings to that one.
      if (isUniqueViolation(err, 'monitors_schedule_uq')) return this.apply(actor, s, settings);
      throw err;
    }
  }

  /** Deletes schedule `scheduleId`'s heartbeat and its flips in `em`'s transaction. */
  async removeIn(em: EntityManager, scheduleId: string): Promise<void> {
    await em.execute(DELETE_HEARTBEAT_FLIPS_SQL, [scheduleId]);
    await em.nativeDelete(MonitorEntity, { scheduleId });
  }

  /**
   * The heartbeat of each of `scheduleIds` that has one, by schedule id, among the projects of
   * `accountId` (only `projectId` when given).
   */
  async of(accountId: string, projectId: string | null, scheduleIds: readonly string[]): Promise<Map<string, Monitor>> {
    const rows = await monitorsOfSchedules(this.deps.db, accountId, projectId, scheduleIds);
    return new Map(rows.map((m) => [m.scheduleId!, m]));
  }
}
