import { describe, expect, it } from 'vitest';
import { channelsOf, webhookFormatFor } from '../../../server/core/alerts/channels.js';
import type { JobAlertPayload, MonitorAlertPayload } from '../../../server/core/types.js';
import { emailMessage } from '../../../server/notify/email.js';
import { discordMessage, jobMessage, slackMessage } from '../../../server/notify/messages.js';

const job = (event: JobAlertPayload['event'], status: JobAlertPayload['job']['status']): JobAlertPayload => ({
  event,
  at: '2026-05-01T10:00:05.000Z',
  link: 'https://tock.example/schedules/sched_1',
  job: { id: 'job_1', status, url: 'https://app.example/run', method: 'POST', attempts: 1, scheduledAt: '2026-05-01T10:00:00.000Z', finishedAt: '2026-05-01T10:00:05.000Z', lastStatusCode: 200, lastError: null },
  schedule: { id: 'sched_1', key: 'sync', name: 'Hourly sync', failureStreak: 0 },
  execution: null,
});

describe('the webhook format of a URL', () => {
  it.each([
    ['https://hooks.slack.com/services/T/B/X', 'slack'],
    ['https://discord.com/api/webhooks/1/abc', 'discord'],
    ['https://discordapp.com/api/webhooks/1/abc', 'discord'],
    ['https://ptb.discord.com/api/webhooks/1/abc', 'discord'],
    ['https://discord.com/channels/1', 'json'],
    ['https://mattermost.example/hooks/xyz', 'json'],
    ['not a url', 'json'],
  ])('%s is %s unless chosen otherwise', (url, format) => {
    expect(webhookFormatFor(url)).toBe(format);
    expect(webhookFormatFor(url, 'slack')).toBe('slack');
  });

  it('names each receiver once across a subject and its project (emails case-blind)', () => {
    const channels = channelsOf([
      { email: 'Ops@Example.com', webhookUrl: 'https://hooks.slack.com/services/T/B/X', webhookFormat: 'auto' },
      { email: 'ops@example.com', webhookUrl: 'https://hooks.slack.com/services/T/B/X', webhookFormat: 'json' },
      { email: null, webhookUrl: null, webhookFormat: 'auto' },
    ]);
    expect(channels.map((c) => [c.channel, c.target, c.format])).toEqual([
      ['email', 'Ops@Example.com', 'email'],
      ['webhook', 'https://hooks.slack.com/services/T/B/X', 'slack'],
    ]);
  });
});

describe('alert messages', () => {
  it('colour recoveries green in Slack and cancels grey in Discord', () => {
    const recovered = slackMessage(job('job.recovered', 'succeeded')) as { text: string; attachments: Array<{ color: string; text: string }> };
    expect(recovered.text).toBe("Schedule 'Hourly sync' recovered: <https://tock.example/schedules/sched_1|open in Tock>");
    expect(recovered.attachments[0]).toMatchObject({ color: '#1e8e3e', text: '' });
    const cancelled = discordMessage(job('job.cancelled', 'cancelled')) as { embeds: Array<{ title: string; color: number; description?: string }> };
    expect(cancelled.embeds[0]).toMatchObject({ title: "Schedule 'Hourly sync' was cancelled", color: 0x80868b });
    expect(cancelled.embeds[0].description).toBeUndefined();
  });

  it("give a job's terminal state in Fliq's words", () => {
    expect(jobMessage(job('job.completed', 'succeeded'))).toEqual({
      job_id: 'job_1',
      status: 'completed',
      status_code: 200,
      last_error: null,
      completed_at: '2026-05-01T10:00:05.000Z',
      attempt_num: 1,
    });
    expect(jobMessage(job('job.cancelled', 'cancelled'))).toMatchObject({ status: 'cancelled' });
  });

  it('escape what a ping sent before it goes into HTML mail', () => {
    const p: MonitorAlertPayload = {
      event: 'monitor.down',
      at: '2026-05-01T10:00:05.000Z',
      link: 'https://tock.example/monitors/mon_1',
      reason: 'fail_ping',
      monitor: { id: 'mon_1', key: 'k', name: 'db <dump>', status: 'down', lastPingAt: '2026-05-01T10:00:05.000Z', missedDeadlineAt: null, failureStreak: 1 },
      ping: { kind: 'fail', exitStatus: null, receivedAt: '2026-05-01T10:00:05.000Z', body: '<script>x</script>', durationMs: null },
      error: 'Fail ping: <script>x</script>',
    };
    const m = emailMessage(p);
    expect(m.subject).toBe("[Tock] Monitor 'db <dump>' is down");
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('Fail ping: &lt;script&gt;x&lt;/script&gt;');
    expect(m.text).toContain('Error: Fail ping: <script>x</script>');
  });
});
