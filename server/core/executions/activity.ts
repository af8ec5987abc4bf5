import type { Database } from '../../store/database.js';

/** One minute of a project's executions: how many ran, how they ended, how late first attempts started. */
export interface ActivityMinute {
  /** Start of the minute (UTC, whole minute). */
  minute: Date;
  executions: number;
  succeeded: number;
  /** Every other outcome: failed, timeout, refused, skipped. */
  failed: number;
  /** Mean and largest delay of first attempts, `started_at - scheduled_at`; null when none started that minute. */
  latenessMeanMs: number | null;
  latenessMaxMs: number | null;
}

/** A window of whole minutes, oldest first, every minute present (empty ones at zero). */
export interface Activity {
  from: Date;
  to: Date;
  minutes: ActivityMinute[];
}

export const ACTIVITY_MINUTES = 60;

/**
 * Executions per minute by `started_at` over the window. Retries are counted as executions but
 * left out of lateness: their delay is the back-off, not the scheduler being late. Reads
 * `executions_project_started_idx` for the window only.
 */
const ACTIVITY_SQL = `
select date_trunc('minute', e.started_at) as minute,
       count(*)::int as executions,
       (count(*) filter (where e.status = 'succeeded'))::int as succeeded,
       (count(*) filter (where e.status <> 'succeeded'))::int as failed,
       avg(greatest(0, extract(epoch from (e.started_at - j.scheduled_at)) * 1000)) filter (where e.attempt = 1) as lateness_mean_ms,
       max(greatest(0, extract(epoch from (e.started_at - j.scheduled_at)) * 1000)) filter (where e.attempt = 1) as lateness_max_ms
  from executions e
  join jobs j on j.id = e.job_id
 where e.project_id = ? and e.started_at >= ?::timestamptz and e.started_at < ?::timestamptz
 group by 1
 order by 1`;

interface Row {
  minute: Date | string;
  executions: number;
  succeeded: number;
  failed: number;
  lateness_mean_ms: number | string | null;
  lateness_max_ms: number | string | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Math.round(Number(v)));

/** The project's activity in the `minutes` whole minutes up to and including the one `now` is in. */
export async function executionActivity(db: Database, projectId: string, now: Date, minutes = ACTIVITY_MINUTES): Promise<Activity> {
  const to = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
  const from = new Date(to.getTime() - minutes * 60_000);
  const rows = await db.execute<Row>(ACTIVITY_SQL, [projectId, from.toISOString(), to.toISOString()]);
  const byMinute = new Map(rows.map((r) => [new Date(r.minute).getTime(), r]));
  const out: ActivityMinute[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += 60_000) {
    const r = byMinute.get(t);
    out.push({
      minute: new Date(t),
      executions: r ? Number(r.executions) : 0,
      succeeded: r ? Number(r.succeeded) : 0,
      failed: r ? Number(r.failed) : 0,
      latenessMeanMs: r ? num(r.lateness_mean_ms) : null,
      latenessMaxMs: r ? num(r.lateness_max_ms) : null,
    });
  }
  return { from, to, minutes: out };
}
