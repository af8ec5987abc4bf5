import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { verifyWebhook } from '../../../client/src/webhooks.js';
import { createMailer } from '../../../server/notify/email.js';
import { AlertEntity, FlipEntity, type AlertRow } from '../../../server/store/entities.js';
import { startScheduler, type RunningScheduler } from '../../../server/timer/index.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../helpers/smtp.js';
import { Receiver, TEST_OPTIONS, testLogger, timerWorld, until, type Received, type TimerWorld } from './harness.js';

/**
 * Alerts end to end through a running node: the result write (or a cancel, or a ping) enqueues
 * them, the node that owns the shard delivers them, and what the receivers got is checked: a
 * loopback HTTP sink for every webhook format and its signature, an in-process SMTP server for
 * email.
 */


let w: TimerWorld;
let node: RunningScheduler;
let sink: Receiver;
let target: Receiver;
let secret: string;
let smtp: SmtpSink;
let mails: ReceivedMail[] = [];
/** Per sink path: statuses served in turn, the last one repeating. */
const answers = new Map<string, number[]>();
/** Per target path: the status it answers (default 200), or 'hang' (never answers in time). */
const targetAnswers = new Map<string, number | 'hang'>();

const PUBLIC_URL = 'https://tock.example';

beforeAll(async () => {
  w = await timerWorld();
  secret = (await w.t.core.projects.getSigningSecrets(w.tenant.principal, w.tenant.projectId)).current;
  sink = await new Receiver((req, res) => {
    const queue = answers.get(req.url) ?? [204];
    res.writeHead(queue.length > 1 ? queue.shift()! : queue[0]).end();
  }).listen();
  target = await new Receiver((req, res) => {
    const answer = targetAnswers.get(req.url) ?? 200;
    if (answer === 'hang') setTimeout(() => res.writeHead(200).end(), 2_000).unref();
    else res.writeHead(answer).end();
  }).listen();
  smtp = await startSmtpSink();
  mails = smtp.mails;
  node = await startScheduler({
    db: w.db,
    databaseUrl: inject('dbMode') === 'postgres' ? w.url : null,
    executor: w.executor,
    logger: testLogger('alerts'),
    options: TEST_OPTIONS,
    alerts: {
      publicUrl: PUBLIC_URL,
      mailer: createMailer(smtp.url),
      from: 'Tock Alerts <alerts@tock.example>',
      delivery: { backoffMs: 50, maxBackoffMs: 200, random: () => 0.5 },
    },
  });
  w.wakers.push(node.waker);
}, 60_000);

afterAll(async () => {
  await node?.stop(2_000);
  await sink?.close();
  await target?.close();
  await smtp?.close();
  await w?.close();
});

const alertsOf = (subjectId: string): Promise<AlertRow[]> => w.db.em().find(AlertEntity, { subjectId }, { orderBy: { id: 'asc' } });
const at = (path: string): Received[] => sink.to(path);
const events = (path: string): string[] => at(path).map((r) => (JSON.parse(r.body) as { event?: string }).event ?? '?');
/** Parsed, after checking the Standard Webhooks signature with the project secret. */
const verified = (r: Received): Record<string, unknown> => verifyWebhook(secret, r.headers, r.body) as Record<string, unknown>;

async function delivered(subjectId: string, n: number): Promise<AlertRow[]> {
  let rows: AlertRow[] = [];
  await until(
    async () => {
      rows = await alertsOf(subjectId);
      return rows.length >= n && rows.every((r) => r.status !== 'pending');
    },
    { timeoutMs: 15_000, message: () => JSON.stringify(rows.map((r) => [r.event, r.channel, r.status, r.attempts, r.lastError])) },
  );
  return rows;
}

describe('a failing schedule', () => {
  it('sends exactly one job.failed while it keeps failing, and exactly one job.recovered once it succeeds, each flip kept', async () => {
    targetAnswers.set('/flaky', 500);
    const s = await w.t.core.schedules.create(w.tenant.actor, {
      name: 'flaky every second',
      url: `${target.url}/flaky`,
      intervalSeconds: 1,
      alertWebhook: `${sink.url}/schedule-json`,
      alertWebhookFormat: 'json',
      alertOnRecovery: true,
    });
    const runs = async (status: string) =>
      Number((await w.db.execute<{ n: string }>(`select count(*) as n from jobs where schedule_id = ? and status = ?`, [s.id, status]))[0].n);
    await until(async () => (await runs('failed')) >= 3, { timeoutMs: 15_000 });
    await delivered(s.id, 1);
    expect(events('/schedule-json')).toEqual(['job.failed']);
    const failed = verified(at('/schedule-json')[0]);
    expect(failed).toMatchObject({ event: 'job.failed', job: { id: s.id, name: 'flaky every second', url: `${target.url}/flaky` }, execution: { status: 'failed', status_code: 500 } });

    targetAnswers.set('/flaky', 200);
    await until(async () => (await runs('succeeded')) >= 3, { timeoutMs: 15_000 });
    await delivered(s.id, 2);
    expect(events('/schedule-json')).toEqual(['job.failed', 'job.recovered']);
    expect(verified(at('/schedule-json')[1])).toMatchObject({ event: 'job.recovered', job: { id: s.id }, execution: { status: 'succeeded', status_code: 200 } });
    const [row] = await w.db.execute<{ failure_streak: number }>(`select failure_streak from schedules where id = ?`, [s.id]);
    expect(Number(row.failure_streak)).toBe(0);
    const flips = await w.db.em().find(FlipEntity, { subjectId: s.id }, { orderBy: { at: 'asc', id: 'asc' } });
    expect(flips.map((f) => [f.fromStatus, f.toStatus])).toEqual([
      [null, 'failing'],
      ['failing', 'ok'],
    ]);
    await w.t.core.schedules.delete(w.tenant.actor, s.id);
  }, 60_000);
});

describe("a job's own terminal-state webhook", () => {
  it('job.completed arrives in Fliq\'s shape with the job\'s webhook_headers, signed, webhook-id = the alert id', async () => {
    const job = await w.t.core.jobs.create(w.tenant.actor, {
      url: `${target.url}/ok`,
      webhookUrl: `${sink.url}/fliq-completed`,
      webhookHeaders: { authorization: 'Bearer receiver-token', 'x-fliq-tenant': 't1' },
    });
    const [row] = await delivered(job.id, 1);
    const [req] = at('/fliq-completed');
    expect(req.headers.authorization).toBe('Bearer receiver-token');
    expect(req.headers['x-fliq-tenant']).toBe('t1');
    expect(req.headers['webhook-id']).toBe(row.id);
    expect(verified(req)).toEqual({
      job_id: job.id,
      status: 'completed',
      status_code: 200,
      last_error: null,
      completed_at: expect.any(String),
      attempt_num: 1,
    });
    expect(row).toMatchObject({ event: 'job.completed', status: 'delivered', attempts: 1 });
  });

  it('job.cancelled arrives with the headers when a job with a webhook_url is cancelled before it runs', async () => {
    const job = await w.t.core.jobs.create(w.tenant.actor, {
      url: `${target.url}/never`,
      scheduledAt: new Date(Date.now() + 3_600_000),
      webhookUrl: `${sink.url}/fliq-cancelled`,
      webhookHeaders: { 'x-fliq-tenant': 't2' },
    });
    const cancelled = await w.t.core.jobs.cancel(w.tenant.actor, job.id);
    expect(cancelled.status).toBe('cancelled');
    await until(() => at('/fliq-cancelled').length === 1, { timeoutMs: 5_000 });
    const [req] = at('/fliq-cancelled');
    expect(req.headers['x-fliq-tenant']).toBe('t2');
    expect(verified(req)).toMatchObject({ job_id: job.id, status: 'cancelled', status_code: null, attempt_num: 0 });
    expect(target.to('/never')).toHaveLength(0);
    expect((await delivered(job.id, 1)).map((r) => r.event)).toEqual(['job.cancelled']);
  });

  it('a failed job calls its webhook once with status failed and the last error', async () => {
    targetAnswers.set('/broken', 503);
    const job = await w.t.core.jobs.create(w.tenant.actor, { url: `${target.url}/broken`, maxRetries: 0, webhookUrl: `${sink.url}/fliq-failed` });
    await delivered(job.id, 1);
    expect(at('/fliq-failed').map(verified)).toEqual([
      { job_id: job.id, status: 'failed', status_code: 503, last_error: expect.stringContaining('503'), completed_at: expect.any(String), attempt_num: 1 },
    ]);
  });
});

describe("a project's notifications", () => {
  it('a receiver answering 500 twice then 200 gets the alert exactly three times, with one webhook-id, and then no more', async () => {
    const other = await w.t.tenant('retries');
    const otherSecret = (await w.t.core.projects.getSigningSecrets(other.principal, other.projectId)).current;
    answers.set('/flaky-receiver', [500, 500, 200]);
    await w.t.core.projects.update(other.principal, other.projectId, { notifyWebhookUrl: `${sink.url}/flaky-receiver`, notifyWebhookFormat: 'json' });
    targetAnswers.set('/fails-once', 500);
    const job = await w.t.core.jobs.create(other.actor, { url: `${target.url}/fails-once`, maxRetries: 0 });
    const [row] = await delivered(job.id, 1);
    expect(row).toMatchObject({ event: 'job.failed', status: 'delivered', attempts: 3 });
    const got = at('/flaky-receiver');
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([row.id]));
    for (const r of got) expect(verifyWebhook(otherSecret, r.headers, r.body)).toMatchObject({ event: 'job.failed', job: { id: job.id } });
    // Delivered, it is not sent again: the next alert to the same receiver (enqueued and
    // delivered after the first was recorded) is the only request that follows.
    const marker = await w.t.core.jobs.create(other.actor, { url: `${target.url}/fails-once`, maxRetries: 0 });
    const [next] = await delivered(marker.id, 1);
    expect(at('/flaky-receiver').map((r) => r.headers['webhook-id'])).toEqual([row.id, row.id, row.id, next.id]);
    expect(await alertsOf(job.id)).toMatchObject([{ status: 'delivered', attempts: 3 }]);
  });

  it('job.timeout goes to every channel: Slack and Discord formats chosen per channel, and an email with text and HTML', async () => {
    const other = await w.t.tenant('channels');
    await w.t.core.projects.update(other.principal, other.projectId, {
      notifyWebhookUrl: `${sink.url}/discord`,
      notifyWebhookFormat: 'discord',
      notifyEmail: 'oncall@example.com',
    });
    targetAnswers.set('/slow', 'hang');
    const s = await w.t.core.schedules.create(other.actor, {
      name: 'slow report',
      url: `${target.url}/slow`,
      intervalSeconds: 3600,
      timeoutMs: 300,
      alertWebhook: `${sink.url}/slack`,
      alertWebhookFormat: 'slack',
    });
    await w.t.core.schedules.trigger(other.actor, s.id);
    const rows = await delivered(s.id, 3);
    expect(rows.map((r) => [r.event, r.channel, r.format, r.status]).sort()).toEqual([
      ['job.timeout', 'email', 'email', 'delivered'],
      ['job.timeout', 'webhook', 'discord', 'delivered'],
      ['job.timeout', 'webhook', 'slack', 'delivered'],
    ]);
    const otherSecret = (await w.t.core.projects.getSigningSecrets(other.principal, other.projectId)).current;
    const slack = verifyWebhook(otherSecret, at('/slack')[0].headers, at('/slack')[0].body) as { text: string; attachments: Array<{ title: string; title_link: string }> };
    expect(slack.text).toContain("Schedule 'slow report' timed out");
    expect(slack.attachments[0].title_link).toBe(`${PUBLIC_URL}/schedules/${s.id}`);
    const discord = verifyWebhook(otherSecret, at('/discord')[0].headers, at('/discord')[0].body) as { username: string; embeds: Array<{ title: string; url: string; description?: string }> };
    expect(discord.username).toBe('Tock');
    expect(discord.embeds[0]).toMatchObject({ title: "Schedule 'slow report' timed out", url: `${PUBLIC_URL}/schedules/${s.id}` });
    expect(discord.embeds[0].description).toMatch(/time/i);

    const mail = mails.find((m) => m.to.includes('oncall@example.com'));
    expect(mail).toBeDefined();
    const raw = mail!.raw.replace(/=\r?\n/g, '');
    expect(raw).toMatch(/^subject: \[Tock\] Schedule 'slow report' timed out/im);
    expect(raw).toContain('text/plain');
    expect(raw).toContain('text/html');
    expect(raw).toContain(`${PUBLIC_URL}/schedules/${s.id}`);
    expect(raw).toMatch(/When: \d{4}-\d\d-\d\dT/);
    expect(raw).toMatch(/Error: .*time/i);
  });

  it('monitor.down on a fail ping and monitor.up on the next success reach the monitor webhook in Prikke-style JSON', async () => {
    const m = await w.t.core.monitors.create(w.tenant.actor, { name: 'backup', periodSeconds: 3600, graceSeconds: 60, alertWebhook: `${sink.url}/monitor`, alertWebhookFormat: 'json' });
    await w.t.core.monitors.pingByToken(m.pingToken);
    await w.t.core.monitors.pingByToken(m.pingToken, 'fail');
    await until(() => at('/monitor').length === 1, { timeoutMs: 5_000 });
    await w.t.core.monitors.pingByToken(m.pingToken);
    await until(() => at('/monitor').length === 2, { timeoutMs: 5_000 });
    expect(at('/monitor').map(verified)).toMatchObject([
      { event: 'monitor.down', monitor: { id: m.id, name: 'backup', status: 'down' }, reason: 'fail_ping' },
      { event: 'monitor.up', monitor: { id: m.id, status: 'up' } },
    ]);
  });
});

describe('reminders', () => {
  it('a schedule still failing is reminded every alert_reminder_seconds, and the reminders stop once it recovers', async () => {
    targetAnswers.set('/down-for-a-while', 500);
    const s = await w.t.core.schedules.create(w.tenant.actor, {
      name: 'nightly export',
      url: `${target.url}/down-for-a-while`,
      intervalSeconds: 3600,
      alertWebhook: `${sink.url}/reminded`,
      alertWebhookFormat: 'json',
      alertReminderSeconds: 1,
    });
    await w.t.core.schedules.trigger(w.tenant.actor, s.id);
    await until(() => at('/reminded').length >= 3, { timeoutMs: 10_000 });
    const [first, ...reminders] = at('/reminded').map(verified);
    expect(first).toMatchObject({ event: 'job.failed' });
    expect(first.reminder).toBeUndefined();
    for (const r of reminders) expect(r).toMatchObject({ event: 'job.failed', reminder: true, execution: first.execution });
    const ids = at('/reminded').map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(ids.length);

    targetAnswers.set('/down-for-a-while', 200);
    await w.t.core.schedules.trigger(w.tenant.actor, s.id);
    await until(() => events('/reminded').includes('job.recovered'), { timeoutMs: 10_000 });
    // The reminder that was pending when it recovered is dropped at its claim, never sent.
    await until(async () => (await alertsOf(s.id)).every((r) => r.status !== 'pending'), { timeoutMs: 10_000 });
    const sent = at('/reminded').length;
    expect(events('/reminded').at(-1)).toBe('job.recovered');
    expect(await alertsOf(s.id)).toHaveLength(sent);
  });
});
