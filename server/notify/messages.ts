import type { AlertFormat, AlertPayload, JobAlertPayload, MonitorAlertPayload } from '../core/types.js';
import { summarize, type AlertSummary } from './summary.js';

/**
 * Alert payload -> the body a webhook channel gets, one function per format (see docs/alerts.md
 * for each shape):
 *
 * - `json`: the event as JSON. Job events keep Prikke's documented notification payload
 *   (`event`, `timestamp`, `job`, `execution`); monitor events the same style with a `monitor`.
 * - `job`: a job's own terminal-state call (Fliq's shape: `job_id`, `status`, `status_code`,
 *   `last_error`, `completed_at`, `attempt_num`).
 * - `slack`: an incoming-webhook message (`text` + one attachment), which Mattermost and
 *   Rocket.Chat take as well.
 * - `discord`: a webhook message with one embed.
 */

export function jsonMessage(p: AlertPayload): Record<string, unknown> {
  if (p.event === 'monitor.down' || p.event === 'monitor.up') {
    const m = p as MonitorAlertPayload;
    return {
      event: m.event,
      timestamp: m.at,
      monitor: {
        id: m.monitor.id,
        key: m.monitor.key,
        name: m.monitor.name,
        status: m.monitor.status,
        last_ping_at: m.monitor.lastPingAt,
        missed_deadline_at: m.monitor.missedDeadlineAt,
        failure_streak: m.monitor.failureStreak,
      },
      reason: m.reason,
      error: m.error,
      ping: m.ping && {
        kind: m.ping.kind,
        exit_status: m.ping.exitStatus,
        received_at: m.ping.receivedAt,
        duration_ms: m.ping.durationMs,
        body: m.ping.body,
      },
      link: m.link,
      ...(m.reminder ? { reminder: true } : {}),
    };
  }
  const j = p as JobAlertPayload;
  const e = j.execution;
  return {
    event: j.event,
    timestamp: j.at,
    // Prikke's "job" is the recurring job (Tock's schedule) when there is one.
    job: j.schedule ? { id: j.schedule.id, key: j.schedule.key, name: j.schedule.name, url: j.job.url } : { id: j.job.id, key: null, name: j.job.url, url: j.job.url },
    execution: e && {
      id: e.id,
      status: e.status,
      status_code: e.statusCode,
      duration_ms: e.durationMs,
      started_at: e.startedAt,
      finished_at: e.finishedAt,
      error: e.error,
    },
    ...(j.reminder ? { reminder: true } : {}),
  };
}

const FLIQ_STATUS: Partial<Record<JobAlertPayload['event'], string>> = { 'job.completed': 'completed', 'job.failed': 'failed', 'job.timeout': 'failed', 'job.cancelled': 'cancelled' };

export function jobMessage(p: AlertPayload): Record<string, unknown> {
  const j = p as JobAlertPayload;
  return {
    job_id: j.job.id,
    status: FLIQ_STATUS[j.event] ?? j.job.status,
    status_code: j.job.lastStatusCode,
    last_error: j.job.lastError,
    completed_at: j.job.finishedAt ?? j.at,
    attempt_num: j.job.attempts,
  };
}

const COLORS: Record<AlertSummary['tone'], number> = { bad: 0xd93025, good: 0x1e8e3e, neutral: 0x80868b };
const hex = (n: number) => `#${n.toString(16).padStart(6, '0')}`;
const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export function slackMessage(p: AlertPayload): Record<string, unknown> {
  const s = summarize(p);
  return {
    text: `${s.title}: <${s.link}|open in Tock>`,
    attachments: [
      {
        color: hex(COLORS[s.tone]),
        title: s.title,
        title_link: s.link,
        text: s.error ?? '',
        fields: [['When', s.at], ...s.facts].map(([title, value]) => ({ title, value, short: value.length <= 40 })),
        ts: Math.floor(Date.parse(s.at) / 1000),
      },
    ],
  };
}

export function discordMessage(p: AlertPayload): Record<string, unknown> {
  const s = summarize(p);
  return {
    username: 'Tock',
    embeds: [
      {
        title: cut(s.title, 256),
        url: s.link,
        ...(s.error ? { description: cut(s.error, 4096) } : {}),
        color: COLORS[s.tone],
        timestamp: s.at,
        fields: s.facts.slice(0, 25).map(([name, value]) => ({ name: cut(name, 256), value: cut(value || '-', 1024), inline: value.length <= 40 })),
      },
    ],
  };
}

/** The JSON body of a webhook alert in `format`. */
export function webhookBody(format: Exclude<AlertFormat, 'email'>, p: AlertPayload): string {
  const message = { json: jsonMessage, job: jobMessage, slack: slackMessage, discord: discordMessage }[format](p);
  return JSON.stringify(message);
}
