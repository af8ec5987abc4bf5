import type { AlertPayload, JobAlertPayload, MonitorAlertPayload } from '../core/types.js';

/**
 * An alert told for people, once: which job or monitor, what happened, when, the last error and
 * a link. The Slack, Discord and email messages are layouts of this.
 */
export interface AlertSummary {
  /** One line: "Monitor 'nightly-backup' is down". */
  title: string;
  /** `bad`: something failed; `good`: it recovered or completed; `neutral`: e.g. a cancel. */
  tone: 'bad' | 'good' | 'neutral';
  /** When it happened (ISO-8601). */
  at: string;
  /** What went wrong, when something did. */
  error: string | null;
  link: string;
  /** Further facts, label and value, in reading order. */
  facts: Array<[string, string]>;
}

const quote = (name: string) => `'${name}'`;

function jobSummary(p: JobAlertPayload): AlertSummary {
  const subject = p.schedule ? `Schedule ${quote(p.schedule.name)}` : `Job ${p.job.id}`;
  const happened: Record<JobAlertPayload['event'], [string, AlertSummary['tone']]> = {
    'job.failed': ['failed', 'bad'],
    'job.timeout': ['timed out', 'bad'],
    'job.recovered': ['recovered', 'good'],
    'job.completed': ['completed', 'good'],
    'job.cancelled': ['was cancelled', 'neutral'],
  };
  const [what, tone] = happened[p.event];
  const facts: Array<[string, string]> = [['Call', `${p.job.method} ${p.job.url}`]];
  if (p.execution) {
    facts.push(['Attempt', String(p.execution.attempt)]);
    if (p.execution.statusCode !== null) facts.push(['Status code', String(p.execution.statusCode)]);
    facts.push(['Duration', `${p.execution.durationMs} ms`]);
  }
  if (p.schedule && p.schedule.failureStreak > 1) facts.push(['Failures in a row', String(p.schedule.failureStreak)]);
  if (p.schedule) facts.push(['Job', p.job.id]);
  const error = p.event === 'job.failed' || p.event === 'job.timeout' ? (p.execution?.error ?? p.job.lastError) : null;
  return { title: `${subject} ${what}`, tone, at: p.at, error, link: p.link, facts };
}

const REASONS: Partial<Record<MonitorAlertPayload['reason'], string>> = {
  missed_deadline: 'no ping by its deadline',
  late_start: 'a started run did not report within grace',
  fail_ping: 'a fail ping',
  exit_status: 'a non-zero exit status',
  ping: 'a success ping',
};

function monitorSummary(p: MonitorAlertPayload): AlertSummary {
  const down = p.event === 'monitor.down';
  const facts: Array<[string, string]> = [];
  const reason = REASONS[p.reason];
  if (reason) facts.push(['Because of', reason]);
  if (p.monitor.lastPingAt) facts.push(['Last ping', p.monitor.lastPingAt]);
  if (p.monitor.missedDeadlineAt) facts.push(['Deadline', p.monitor.missedDeadlineAt]);
  if (p.ping?.exitStatus != null) facts.push(['Exit status', String(p.ping.exitStatus)]);
  if (p.ping?.durationMs != null) facts.push(['Run took', `${p.ping.durationMs} ms`]);
  if (down && p.monitor.failureStreak > 1) facts.push(['Failures in a row', String(p.monitor.failureStreak)]);
  return {
    title: `Monitor ${quote(p.monitor.name)} is ${down ? 'down' : 'up again'}`,
    tone: down ? 'bad' : 'good',
    at: p.at,
    error: p.error,
    link: p.link,
    facts,
  };
}

export function summarize(p: AlertPayload): AlertSummary {
  const s = p.event === 'monitor.down' || p.event === 'monitor.up' ? monitorSummary(p as MonitorAlertPayload) : jobSummary(p as JobAlertPayload);
  return p.reminder ? { ...s, title: `Reminder: ${s.title}, still failing` } : s;
}
