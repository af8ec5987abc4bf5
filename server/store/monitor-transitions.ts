import type { Flip, Ping } from '../core/types.js';
import type { Database } from './database.js';
import type { AlertRow } from './entities.js';
import { ALERT_COLUMNS, FLIP_COLUMNS, alertJson, alertRowsFrom, flipJson, flipRowsFrom } from './outbox.js';

/**
 * Writes monitor state changes: for each monitor, ONE update conditional on the revision it was
 * read at (and, for a missed deadline, on the deadline still being the one that was missed and
 * having passed), and only for the monitors whose update won: the ping row, the flip row, the
 * alert outbox rows, and the trim of the ping log. One statement, so one transaction: a lost
 * race writes nothing at all, and the caller reads again (a ping) or drops it (a deadline).
 */

export interface MonitorStateWrite {
  id: string;
  /** The revision the state was computed from. */
  revision: number;
  /** Set for a missed deadline: the write wins only while `next_deadline_at` is still this and not after `at`. */
  lateDeadline: Date | null;
  status: string;
  lastPingAt: Date | null;
  lastStartAt: Date | null;
  nextDeadlineAt: Date | null;
  failureStreak: number;
  statusChangedAt: Date | null;
  lastAlertAt: Date | null;
  at: Date;
  ping: Ping | null;
  flip: Flip | null;
  alerts: AlertRow[];
}

export interface MonitorWriteResult {
  id: string;
  pingCount: number;
  revision: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const WRITE_MONITOR_STATES_SQL = `
with t as (
  select * from jsonb_to_recordset($1::jsonb) as x(
    id text, revision bigint, late_deadline timestamptz, status text, last_ping_at timestamptz, last_start_at timestamptz,
    next_deadline_at timestamptz, failure_streak int, status_changed_at timestamptz, last_alert_at timestamptz,
    pinged boolean, at timestamptz)
),
won as (
  update monitors m
     set status = t.status,
         last_ping_at = t.last_ping_at,
         last_start_at = t.last_start_at,
         next_deadline_at = t.next_deadline_at,
         failure_streak = t.failure_streak,
         status_changed_at = t.status_changed_at,
         last_alert_at = t.last_alert_at,
         ping_count = m.ping_count + case when t.pinged then 1 else 0 end,
         revision = m.revision + 1,
         updated_at = t.at
    from t
   -- The id list as an array keeps the monitors' primary key in the plan: joined straight to
   -- the JSON rows (estimated at 100), the planner scans every monitor for a one-row write.
   where m.id = any(array(select t.id from t)) and m.id = t.id and m.revision = t.revision
     and (t.late_deadline is null or (m.next_deadline_at = t.late_deadline and m.next_deadline_at <= t.at))
  returning m.id, m.ping_count, m.revision, t.pinged
),
ins_pings as (
  insert into pings (id, monitor_id, kind, exit_status, duration_ms, received_at, source_ip, user_agent, body)
  select x.id, x.monitor_id, x.kind, x.exit_status, x.duration_ms, x.received_at, x.source_ip, x.user_agent, x.body
    from jsonb_to_recordset($2::jsonb) as x(
      id text, monitor_id text, kind text, exit_status smallint, duration_ms int, received_at timestamptz,
      source_ip text, user_agent text, body text)
    join won w on w.id = x.monitor_id
),
ins_flips as (
  insert into flips (${FLIP_COLUMNS})
  select f.* from (${flipRowsFrom('$3::jsonb')}) f join won w on w.id = f.subject_id
),
ins_alerts as (
  insert into alerts (${ALERT_COLUMNS})
  select a.* from (${alertRowsFrom('$4::jsonb')}) a join won w on w.id = a.subject_id
  on conflict do nothing
),
-- The ping log keeps the newest $5 pings: this statement's snapshot does not see the ping it
-- inserts, so of the older ones it keeps $5 - 1. Only monitors past $5 pings look at all.
-- Each monitor's older pings are found newest first on pings_monitor_idx and deleted by
-- primary key: the log is never scanned past the $5 rows kept.
trimmed as (
  delete from pings d
   where d.id = any(array(
     select o.id from won w
      cross join lateral (select p.id from pings p where p.monitor_id = w.id order by p.id desc offset ($5::int - 1)) o
      where w.pinged and w.ping_count > $5))
)
select id, ping_count, revision from won`;

export async function writeMonitorStates(db: Database, writes: readonly MonitorStateWrite[], pingLogSize: number): Promise<MonitorWriteResult[]> {
  if (writes.length === 0) return [];
  const states = writes.map((w) => ({
    id: w.id,
    revision: w.revision,
    late_deadline: iso(w.lateDeadline),
    status: w.status,
    last_ping_at: iso(w.lastPingAt),
    last_start_at: iso(w.lastStartAt),
    next_deadline_at: iso(w.nextDeadlineAt),
    failure_streak: w.failureStreak,
    status_changed_at: iso(w.statusChangedAt),
    last_alert_at: iso(w.lastAlertAt),
    pinged: w.ping !== null,
    at: w.at.toISOString(),
  }));
  const pings = writes.flatMap((w) =>
    w.ping
      ? [
          {
            id: w.ping.id,
            monitor_id: w.ping.monitorId,
            kind: w.ping.kind,
            exit_status: w.ping.exitStatus,
            duration_ms: w.ping.durationMs,
            received_at: w.ping.receivedAt.toISOString(),
            source_ip: w.ping.sourceIp,
            user_agent: w.ping.userAgent,
            body: w.ping.body,
          },
        ]
      : [],
  );
  const flips = writes.flatMap((w) => (w.flip ? [flipJson(w.flip)] : []));
  const alerts = writes.flatMap((w) => w.alerts.map(alertJson));
  const rows = await db.query<{ id: string; ping_count: string | number; revision: string | number }>(
    WRITE_MONITOR_STATES_SQL,
    [JSON.stringify(states), JSON.stringify(pings), JSON.stringify(flips), JSON.stringify(alerts), pingLogSize],
    'tock_write_monitor_states',
  );
  return rows.map((r) => ({ id: r.id, pingCount: Number(r.ping_count), revision: Number(r.revision) }));
}
