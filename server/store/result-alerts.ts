import { alertsForFinishedJobs, type FinishedJob } from '../core/alerts/jobs.js';
import type { AlertRow } from './entities.js';
import type { Flip, Project, Schedule } from '../core/types.js';
import type { Querier } from './database.js';
import type { AttemptResult } from './job-transitions.js';
import { alertJson, flipJson } from './outbox.js';
import { WRITE_RESULT_ALERTS_SQL } from './sql/write-result-alerts.js';
import { pgArray } from './sql/values.js';
import { findJobsByIds } from './statements/jobs.js';
import { findSchedulesByIds } from './statements/schedules.js';

/**
 * The alerts of a result batch, inside its transaction, right after WRITE_ATTEMPTS_SQL.
 *
 * Most results change nothing alerts care about: a job without its own webhook that succeeds,
 * as a run of a schedule that was healthy before. Those cost nothing here: the write statement
 * says which jobs have a webhook and what each schedule's streak and last status were, and only
 * the others (a terminal job with a webhook, a failure, a success of a failing or never-run
 * schedule) are read and planned by the core (`alertsForFinishedJobs`). Every terminal run of a
 * schedule in the batch is planned with it once one of them is, in the order they finished, so
 * the streak the batch leaves is the one its results make.
 */

/** A schedule as the write statement found it, under its row lock. */
export interface ScheduleBefore {
  failureStreak: number;
  lastStatus: string | null;
}

export interface ResultAlertOptions {
  /** Base of the links in alerts. */
  publicUrl: string;
  /** When the alerts are due (the node's clock). */
  now: Date;
}

/** Whether a result may change a flip, a streak or send something. */
function matters(r: AttemptResult, hooked: boolean, before: ScheduleBefore | undefined): boolean {
  if (r.jobStatus === 'scheduled') return false;
  if (hooked || r.jobStatus === 'failed') return true;
  return r.scheduleId !== null && r.run && before !== undefined && (before.failureStreak > 0 || before.lastStatus === null);
}

interface ProjectChannels {
  id: string;
  notify_email: string | null;
  notify_webhook_url: string | null;
  notify_webhook_format: Project['notifyWebhookFormat'];
}

const PROJECT_CHANNELS_SQL = `select id, notify_email, notify_webhook_url, notify_webhook_format from projects where id = any($1::text[])`;

/** Plans and writes the batch's alerts, flips and streaks; returns the shards alert rows went to. */
export async function writeResultAlerts(
  q: Querier,
  results: readonly AttemptResult[],
  updated: ReadonlySet<string>,
  hooked: ReadonlySet<string>,
  before: ReadonlyMap<string, ScheduleBefore>,
  opts: ResultAlertOptions,
): Promise<number[]> {
  const won = results.filter((r) => updated.has(r.jobId) && r.jobStatus !== 'scheduled');
  const planned = new Set<string>();
  for (const r of won) if (matters(r, hooked.has(r.jobId), r.scheduleId ? before.get(r.scheduleId) : undefined) && r.scheduleId && r.run) planned.add(r.scheduleId);
  const chosen = won.filter((r) => (r.scheduleId !== null && r.run && planned.has(r.scheduleId)) || matters(r, hooked.has(r.jobId), undefined));
  if (chosen.length === 0) return [];
  chosen.sort((a, b) => a.finishedAt.getTime() - b.finishedAt.getTime());

  const scheduleIds = [...new Set(chosen.flatMap((r) => (r.scheduleId ? [r.scheduleId] : [])))];
  const projectIds = [...new Set(chosen.map((r) => r.projectId))];
  // One connection: one statement at a time.
  const jobs = await findJobsByIds(q, chosen.map((r) => r.jobId));
  const schedules = await findSchedulesByIds(q, scheduleIds);
  const projects = await q.query<ProjectChannels>(PROJECT_CHANNELS_SQL, [pgArray(projectIds)], 'tock_project_channels');
  const jobOf = new Map(jobs.map((j) => [j.id, j]));
  const scheduleOf = new Map(schedules.map((s) => [s.id, s]));
  const projectOf = new Map(projects.map((p) => [p.id, p]));

  const finished: FinishedJob[] = [];
  for (const r of chosen) {
    const job = jobOf.get(r.jobId);
    const p = projectOf.get(r.projectId);
    if (!job || !p) continue;
    const s = r.scheduleId ? scheduleOf.get(r.scheduleId) : undefined;
    const b = r.scheduleId ? before.get(r.scheduleId) : undefined;
    finished.push({
      job,
      execution: {
        id: r.executionId,
        jobId: r.jobId,
        projectId: r.projectId,
        scheduleId: r.scheduleId,
        attempt: r.attempt,
        status: r.status,
        statusCode: r.statusCode,
        durationMs: r.durationMs,
        responseBody: r.responseBody,
        error: r.error,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
      },
      schedule: s ? (b ? { ...s, failureStreak: b.failureStreak, lastStatus: b.lastStatus as Schedule['lastStatus'] } : s) : null,
      run: r.run,
      project: { notifyEmail: p.notify_email, notifyWebhookUrl: p.notify_webhook_url, notifyWebhookFormat: p.notify_webhook_format },
    });
  }
  const plans = alertsForFinishedJobs(finished, opts.publicUrl, opts.now);
  const alerts: AlertRow[] = [];
  const flips: Flip[] = [];
  const streaks = new Map<string, number>();
  plans.forEach((plan, i) => {
    alerts.push(...plan.alerts);
    if (plan.flip) flips.push(plan.flip);
    const s = finished[i].schedule;
    if (s && plan.failureStreak !== null) streaks.set(s.id, plan.failureStreak);
  });
  if (alerts.length === 0 && flips.length === 0 && streaks.size === 0) return [];
  const rows = await q.query<{ shard: number }>(
    WRITE_RESULT_ALERTS_SQL,
    [JSON.stringify(alerts.map(alertJson)), JSON.stringify(flips.map(flipJson)), JSON.stringify([...streaks].map(([id, streak]) => ({ id, streak })))],
    'tock_write_result_alerts',
  );
  return rows.map((r) => Number(r.shard));
}
