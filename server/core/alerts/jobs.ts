import type { AlertRow } from '../../store/entities.js';
import { newId } from '../ids.js';
import type { AlertEvent, Execution, Flip, FlipReason, Job, JobAlertPayload, Project, Schedule, ScheduleHealth } from '../types.js';
import { alertRows, channelsOf, subjectLink, type ChannelSource, type ChannelSpec } from './channels.js';
import { failureAlerts, recoveryAlerts } from './policy.js';

/**
 * What a job reaching its terminal state sends, decided without I/O so the timer's result write
 * can insert the rows in its own transaction (store/outbox.ts `insertAlerts`, `insertFlips`):
 *
 * - the job's own terminal-state webhook (`job.completed`, `job.failed`, `job.cancelled`; a
 *   spawned job inherits its schedule's `webhook_url` and `webhook_headers`), Fliq's payload;
 * - for a run of a schedule, its health: the first failure of a streak is `job.failed` (or
 *   `job.timeout`), the success that ends an alerted streak `job.recovered`, as the schedule's
 *   alert policy and `alertOnFailure` / `alertOnRecovery` say, to the schedule's alert channels
 *   and the project's notifications; every change of health is a flip;
 * - a failed one-time job alerts the project's notifications (it has no streak: each failure is
 *   a change).
 *
 * Every row's change id is the job id: a job finishes once, so a result written twice (a
 * retried batch, a node that lost its lease) enqueues nothing twice.
 */

export interface FinishedJob {
  /** The job in its terminal state (`succeeded`, `failed` or `cancelled`), with its last status code and error. */
  job: Job;
  /** The last attempt; null when none ran (a cancel). */
  execution: Execution | null;
  /** The schedule that spawned it, as it was before this result (its `lastStatus` and `failureStreak`); null for a one-time job. */
  schedule: Schedule | null;
  /** Whether the job counts as a run of its schedule (false for a skipped tick). */
  run: boolean;
  project: Pick<Project, 'notifyEmail' | 'notifyWebhookUrl' | 'notifyWebhookFormat'>;
}

export interface JobAlertPlan {
  alerts: AlertRow[];
  /** The schedule's change of health, if any. */
  flip: Flip | null;
  /** The schedule's failure streak after this result (write it with `last_status`); null when the schedule is not touched. */
  failureStreak: number | null;
}

const TERMINAL_EVENTS: Record<string, AlertEvent> = { succeeded: 'job.completed', failed: 'job.failed', cancelled: 'job.cancelled' };

function healthBefore(s: Schedule): ScheduleHealth | null {
  if (s.failureStreak > 0) return 'failing';
  return s.lastStatus === null ? null : 'ok';
}

export function jobAlertPayload(event: JobAlertPayload['event'], f: FinishedJob, publicUrl: string, at: Date, failureStreak: number): JobAlertPayload {
  const { job: j, execution: e, schedule: s } = f;
  return {
    event,
    at: at.toISOString(),
    link: s ? subjectLink(publicUrl, 'schedule', s.id) : subjectLink(publicUrl, 'job', j.id),
    job: {
      id: j.id,
      status: j.status,
      url: j.url,
      method: j.method,
      attempts: j.attempts,
      scheduledAt: j.scheduledAt.toISOString(),
      finishedAt: j.finishedAt?.toISOString() ?? null,
      lastStatusCode: j.lastStatusCode,
      lastError: j.lastError,
    },
    schedule: s ? { id: s.id, key: s.key, name: s.name, failureStreak } : null,
    execution: e
      ? {
          id: e.id,
          attempt: e.attempt,
          status: e.status,
          statusCode: e.statusCode,
          durationMs: e.durationMs,
          startedAt: e.startedAt.toISOString(),
          finishedAt: e.finishedAt.toISOString(),
          error: e.error,
        }
      : null,
  };
}

export function alertsForFinishedJob(f: FinishedJob, publicUrl: string, now: Date): JobAlertPlan {
  const { job, schedule } = f;
  const alerts: AlertRow[] = [];
  const origin = { projectId: job.projectId, changeId: job.id };

  const terminal = TERMINAL_EVENTS[job.status];
  if (!terminal) return { alerts, flip: null, failureStreak: null };
  const own = job.webhookUrl ? { url: job.webhookUrl, headers: job.webhookHeaders } : schedule?.webhookUrl ? { url: schedule.webhookUrl, headers: schedule.webhookHeaders } : null;
  if (own) {
    const channel: ChannelSpec = { channel: 'webhook', target: own.url, format: 'job', headers: own.headers };
    const payload = jobAlertPayload(terminal as JobAlertPayload['event'], f, publicUrl, now, schedule?.failureStreak ?? 0);
    alerts.push(...alertRows({ ...origin, shard: job.shard, subjectType: 'job', subjectId: job.id }, terminal, payload, [channel], now));
  }
  if (job.status === 'cancelled') return { alerts, flip: null, failureStreak: null };

  const projectSource: ChannelSource = { email: f.project.notifyEmail, webhookUrl: f.project.notifyWebhookUrl, webhookFormat: f.project.notifyWebhookFormat };
  const failed = job.status === 'failed';
  const failEvent: AlertEvent = f.execution?.status === 'timeout' ? 'job.timeout' : 'job.failed';

  if (!schedule) {
    if (failed) {
      const payload = jobAlertPayload(failEvent as JobAlertPayload['event'], f, publicUrl, now, 0);
      alerts.push(...alertRows({ ...origin, shard: job.shard, subjectType: 'job', subjectId: job.id }, failEvent, payload, channelsOf([projectSource]), now));
    }
    return { alerts, flip: null, failureStreak: null };
  }
  if (!f.run) return { alerts, flip: null, failureStreak: null };

  const before = healthBefore(schedule);
  const streak = failed ? schedule.failureStreak + 1 : 0;
  const after: ScheduleHealth = failed ? 'failing' : 'ok';
  const reason: FlipReason = failed ? (failEvent === 'job.timeout' ? 'run_timeout' : 'run_failed') : 'run_succeeded';
  const flip: Flip | null =
    before === after
      ? null
      : { id: newId('flip'), projectId: schedule.projectId, subjectType: 'schedule', subjectId: schedule.id, fromStatus: before, toStatus: after, reason, at: now };

  const event: AlertEvent | null = failed
    ? schedule.alertOnFailure && failureAlerts(schedule, streak)
      ? failEvent
      : null
    : schedule.alertOnRecovery && recoveryAlerts(schedule, schedule.failureStreak)
      ? 'job.recovered'
      : null;
  if (event) {
    const channels = channelsOf([{ email: schedule.alertEmail, webhookUrl: schedule.alertWebhook, webhookFormat: schedule.alertWebhookFormat }, projectSource]);
    const payload = jobAlertPayload(event as JobAlertPayload['event'], f, publicUrl, now, streak);
    alerts.push(...alertRows({ ...origin, shard: schedule.shard, subjectType: 'schedule', subjectId: schedule.id }, event, payload, channels, now));
  }
  return { alerts, flip, failureStreak: streak };
}

/** The plans of several results of one schedule in the order they finished, each seeing the streak the one before left. */
export function alertsForFinishedJobs(results: readonly FinishedJob[], publicUrl: string, now: Date): JobAlertPlan[] {
  const streaks = new Map<string, Pick<Schedule, 'failureStreak' | 'lastStatus'>>();
  return results.map((r) => {
    const seen = r.schedule && streaks.get(r.schedule.id);
    const schedule = r.schedule && seen ? { ...r.schedule, ...seen } : r.schedule;
    const plan = alertsForFinishedJob({ ...r, schedule }, publicUrl, now);
    if (schedule && plan.failureStreak !== null) streaks.set(schedule.id, { failureStreak: plan.failureStreak, lastStatus: r.job.status });
    return plan;
  });
}
