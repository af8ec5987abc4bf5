import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../../client/src/webhooks.js';
import { alertsForFinishedJob } from '../../../server/core/alerts/jobs.js';
import { ManualClock } from '../../../server/core/clock.js';
import type { Job, Monitor, WebhookFormat } from '../../../server/core/types.js';
import { HttpExecutor, TargetPolicy } from '../../../server/executor/index.js';
import { Deliverer, createMailer, signingSecretsFrom } from '../../../server/notify/index.js';
import { AlertEntity, type AlertRow } from '../../../server/store/entities.js';
import { recordDelivery } from '../../../server/store/outbox.js';
import { createTestCore, LOOPBACK_TARGETS, type TestCore, type TestTenant } from '../../helpers/core.js';
import { startReceiver, type Receiver } from '../executor/receiver.js';

/** A received email, its MIME parts decoded. */
interface Mail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  text: string;
  html: string;
}

let t: TestCore;
let a: TestTenant;
let secret: string;
let executor: HttpExecutor;
let deliverer: Deliverer;
let smtp: SMTPServer;
let smtpPort: number;
const mails: Mail[] = [];
/** Recipients the SMTP server refuses for good. */
const refused = new Set(['nobody@example.com']);
const clock = new ManualClock(new Date('2026-05-01T10:00:00Z'));
/** What the sink answers, per path: statuses (or status and Retry-After) served in turn, the last one repeating. */
const answers = new Map<string, Array<number | { status: number; retryAfter: string }>>();
let sink: Receiver;

function decodePart(headers: string, body: string): string {
  const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

function parseMail(raw: string, from: string, to: string[]): Mail {
  const [head] = raw.split(/\r?\n\r?\n/, 1);
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const subjectLine = /^subject:\s*(.*)$/im.exec(unfolded)?.[1] ?? '';
  // Encoded words (=?UTF-8?Q?...?=) only appear for non-ASCII subjects; the alerts' are ASCII.
  const boundary = /boundary="?([^";\s]+)"?/i.exec(unfolded)?.[1];
  const parts: Record<string, string> = {};
  for (const part of boundary ? raw.split(`--${boundary}`).slice(1, -1) : []) {
    const split = part.search(/\r?\n\r?\n/);
    const headers = part.slice(0, split);
    const type = /content-type:\s*([\w/]+)/i.exec(headers)?.[1]?.toLowerCase() ?? '';
    parts[type] = decodePart(headers, part.slice(split).trim());
  }
  return { from, to, raw, subject: subjectLine.trim(), text: parts['text/plain'] ?? '', html: parts['text/html'] ?? '' };
}

beforeAll(async () => {
  // Alerts go to receivers on this machine, as TOCK_ALLOW_TARGETS would allow.
  t = await createTestCore({ clock, publicUrl: 'https://tock.example', allowTargets: LOOPBACK_TARGETS });
  a = await t.tenant('a');
  secret = (await t.core.projects.getSigningSecrets(a.principal, a.projectId)).current;
  sink = await startReceiver((req, res) => {
    const queue = answers.get(req.url) ?? [204];
    const answer = queue.length > 1 ? queue.shift()! : queue[0];
    if (typeof answer === 'number') res.writeHead(answer).end();
    else res.writeHead(answer.status, { 'retry-after': answer.retryAfter }).end();
  });
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (refused.has(address.address)) {
        const err = Object.assign(new Error('No such mailbox'), { responseCode: 550 });
        cb(err);
      } else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push(parseMail(Buffer.concat(chunks).toString('utf8'), from, session.envelope.rcptTo.map((r) => r.address)));
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  executor = new HttpExecutor({ policy: new TargetPolicy(['127.0.0.1']), warmUpCalls: 0 });
  deliverer = new Deliverer({
    executor,
    signingSecrets: signingSecretsFrom(t.database.db),
    mailer: createMailer(`smtp://127.0.0.1:${smtpPort}`),
    from: 'Tock Alerts <alerts@tock.example>',
    random: () => 0.5,
  });
});
afterAll(async () => {
  await executor?.close(1000);
  await sink?.close();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  await t?.close();
});

const rowsOf = (subjectId: string): Promise<AlertRow[]> => t.database.db.em().find(AlertEntity, { subjectId }, { orderBy: { id: 'asc' } });

/** A monitor alerting to `path` on the sink (and `email`), taken down by a missed deadline; its outbox rows. */
async function downMonitor(path: string, format: WebhookFormat, email: string | null = null): Promise<{ monitor: Monitor; rows: AlertRow[] }> {
  const m = await t.core.monitors.create(a.actor, { name: 'nightly backup', periodSeconds: 60, graceSeconds: 10, alertWebhook: `${sink.url}${path}`, alertWebhookFormat: format, alertEmail: email });
  const up = await t.core.monitors.pingByToken(m.pingToken);
  clock.set(up.nextDeadlineAt!);
  expect(await t.core.monitorDeadlines.markOneDownIfLate(m.id, up.nextDeadlineAt!)).toBe(true);
  return { monitor: up, rows: await rowsOf(m.id) };
}

const webhookRow = (rows: AlertRow[]) => rows.find((r) => r.channel === 'webhook')!;
const lastRequest = (path: string) => sink.requests.filter((r) => r.url === path).at(-1)!;

describe('delivering an alert to a webhook', () => {
  it('sends the JSON event, signed with the project secret and the alert id as webhook-id', async () => {
    const { monitor, rows } = await downMonitor('/json', 'json');
    const row = webhookRow(rows);
    expect(await deliverer.deliver(row)).toEqual({ kind: 'delivered' });
    const req = lastRequest('/json');
    expect(req.headers['webhook-id']).toBe(row.id);
    expect(req.headers['content-type']).toBe('application/json');
    const body = verifyWebhook(secret, req.headers, req.body) as Record<string, unknown>;
    expect(body).toEqual({
      event: 'monitor.down',
      timestamp: clock.now().toISOString(),
      monitor: {
        id: monitor.id,
        key: null,
        name: 'nightly backup',
        status: 'down',
        last_ping_at: monitor.lastPingAt!.toISOString(),
        missed_deadline_at: monitor.nextDeadlineAt!.toISOString(),
        failure_streak: 1,
      },
      reason: 'missed_deadline',
      error: `No ping since ${monitor.lastPingAt!.toISOString()}; expected by ${monitor.nextDeadlineAt!.toISOString()}`,
      ping: null,
      link: `https://tock.example/monitors/${monitor.id}`,
    });
  });

  it('formats a Slack incoming-webhook message', async () => {
    const { monitor, rows } = await downMonitor('/slack', 'slack');
    expect(await deliverer.deliver(webhookRow(rows))).toEqual({ kind: 'delivered' });
    const body = verifyWebhook(secret, lastRequest('/slack').headers, lastRequest('/slack').body) as { text: string; attachments: Array<Record<string, unknown>> };
    expect(body.text).toBe(`Monitor 'nightly backup' is down: <https://tock.example/monitors/${monitor.id}|open in Tock>`);
    expect(body.attachments).toHaveLength(1);
    expect(body.attachments[0]).toMatchObject({
      color: '#d93025',
      title: "Monitor 'nightly backup' is down",
      title_link: `https://tock.example/monitors/${monitor.id}`,
      text: expect.stringContaining('No ping since'),
      ts: Math.floor(clock.now().getTime() / 1000),
    });
    expect(body.attachments[0].fields).toContainEqual({ title: 'Because of', value: 'no ping by its deadline', short: true });
  });

  it('formats a Discord webhook message', async () => {
    const { monitor, rows } = await downMonitor('/discord', 'discord');
    expect(await deliverer.deliver(webhookRow(rows))).toEqual({ kind: 'delivered' });
    const body = verifyWebhook(secret, lastRequest('/discord').headers, lastRequest('/discord').body) as { username: string; embeds: Array<Record<string, unknown>> };
    expect(body.username).toBe('Tock');
    expect(body.embeds[0]).toMatchObject({
      title: "Monitor 'nightly backup' is down",
      url: `https://tock.example/monitors/${monitor.id}`,
      color: 0xd93025,
      timestamp: clock.now().toISOString(),
      description: expect.stringContaining('No ping since'),
    });
    expect(body.embeds[0].fields).toContainEqual({ name: 'Deadline', value: monitor.nextDeadlineAt!.toISOString(), inline: true });
  });

  it("sends a job's terminal payload with its webhook headers, and a schedule failure as Prikke's payload", async () => {
    answers.set('/fliq', [200]);
    const s = await t.core.schedules.create(a.actor, {
      key: 'daily-backup',
      name: 'Daily backup',
      url: 'https://app.example/api/backup',
      intervalSeconds: 60,
      alertWebhook: `${sink.url}/prikke`,
      webhookUrl: `${sink.url}/fliq`,
      webhookHeaders: { 'x-receiver-token': 'tok-1' },
    });
    const job = await t.core.schedules.trigger(a.actor, s.id);
    const finished: Job = { ...job, status: 'failed', attempts: 2, lastStatusCode: 500, lastError: 'unexpected HTTP status 500 (expected 2xx)', finishedAt: clock.now(), nextAttemptAt: null };
    const execution = {
      id: 'exec_01', jobId: job.id, projectId: a.projectId, scheduleId: s.id, attempt: 2, status: 'failed' as const, statusCode: 500, durationMs: 1234,
      responseBody: 'boom', error: 'unexpected HTTP status 500 (expected 2xx)', startedAt: new Date(clock.now().getTime() - 1234), finishedAt: clock.now(),
    };
    const plan = alertsForFinishedJob({ job: finished, execution, schedule: s, run: true, project: await t.core.projects.get(a.principal, a.projectId) }, 'https://tock.example', clock.now());
    for (const row of plan.alerts) expect(await deliverer.deliver(row)).toEqual({ kind: 'delivered' });

    const fliq = lastRequest('/fliq');
    expect(fliq.headers['x-receiver-token']).toBe('tok-1');
    expect(verifyWebhook(secret, fliq.headers, fliq.body)).toEqual({
      job_id: job.id,
      status: 'failed',
      status_code: 500,
      last_error: 'unexpected HTTP status 500 (expected 2xx)',
      completed_at: clock.now().toISOString(),
      attempt_num: 2,
    });
    const prikke = lastRequest('/prikke');
    expect(prikke.headers['x-receiver-token']).toBeUndefined();
    expect(verifyWebhook(secret, prikke.headers, prikke.body)).toEqual({
      event: 'job.failed',
      timestamp: clock.now().toISOString(),
      job: { id: s.id, key: 'daily-backup', name: 'Daily backup', url: 'https://app.example/api/backup' },
      execution: {
        id: 'exec_01',
        status: 'failed',
        status_code: 500,
        duration_ms: 1234,
        started_at: execution.startedAt.toISOString(),
        finished_at: clock.now().toISOString(),
        error: 'unexpected HTTP status 500 (expected 2xx)',
      },
    });
  });

  it('asks for a retry while the receiver answers 500, with the same webhook-id each time, until it takes it', async () => {
    answers.set('/flaky', [500, 500, 200]);
    const { rows } = await downMonitor('/flaky', 'json');
    const id = webhookRow(rows).id;
    const outcomes = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const [row] = await t.database.db.em().find(AlertEntity, { id });
      if (row.status !== 'pending') break;
      const outcome = await deliverer.deliver(row);
      outcomes.push(outcome);
      const at = clock.now();
      await recordDelivery(
        t.database.db,
        id,
        row.attempts,
        outcome.kind === 'retry' ? { kind: 'retry', at, nextAttemptAt: new Date(at.getTime() + outcome.afterMs), error: outcome.error } : outcome.kind === 'delivered' ? { kind: 'delivered', at } : { kind: 'failed', at, error: outcome.error },
      );
    }
    // Equal jitter at random() = 0.5: three quarters of 30 s, then of 60 s.
    expect(outcomes).toEqual([
      { kind: 'retry', afterMs: 22_500, error: 'unexpected HTTP status 500 (expected 2xx)' },
      { kind: 'retry', afterMs: 45_000, error: 'unexpected HTTP status 500 (expected 2xx)' },
      { kind: 'delivered' },
    ]);
    const got = sink.requests.filter((r) => r.url === '/flaky');
    expect(got.map((r) => r.headers['webhook-id'])).toEqual([id, id, id]);
    const [final] = await t.database.db.em().find(AlertEntity, { id });
    expect(final).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('honours Retry-After, gives up on a 404, and fails a target the policy refuses', async () => {
    const busy = webhookRow((await downMonitor('/busy', 'json')).rows);
    answers.set('/busy', [{ status: 429, retryAfter: '120' }]);
    expect(await deliverer.deliver(busy)).toEqual({ kind: 'retry', afterMs: 120_000, error: 'unexpected HTTP status 429 (expected 2xx)' });

    const row = webhookRow((await downMonitor('/gone', 'json')).rows);
    answers.set('/gone', [404]);
    expect(await deliverer.deliver(row)).toEqual({ kind: 'failed', error: 'unexpected HTTP status 404 (expected 2xx)' });
    expect(await deliverer.deliver({ ...row, attempts: 9 })).toMatchObject({ kind: 'failed' });

    const strict = new HttpExecutor({ policy: new TargetPolicy([]), warmUpCalls: 0 });
    try {
      const refusing = new Deliverer({ executor: strict, signingSecrets: signingSecretsFrom(t.database.db), mailer: null, from: 'x@y.z' });
      const outcome = await refusing.deliver(row);
      expect(outcome.kind).toBe('failed');
      expect(outcome.kind === 'failed' && outcome.error).toMatch(/127\.0\.0\.1/);
    } finally {
      await strict.close(1000);
    }
  });

  it('gives up after the last attempt instead of retrying forever', async () => {
    answers.set('/down', [503]);
    const row = webhookRow((await downMonitor('/down', 'json')).rows);
    expect(await deliverer.deliver({ ...row, attempts: 8 })).toMatchObject({ kind: 'retry' });
    expect(await deliverer.deliver({ ...row, attempts: 9 })).toEqual({ kind: 'failed', error: 'unexpected HTTP status 503 (expected 2xx) (gave up after 10 attempts)' });
  });
});

describe('delivering an alert by email', () => {
  it('sends text and HTML saying which monitor, what happened, when, the error and a link', async () => {
    const { monitor, rows } = await downMonitor('/with-email', 'json', 'oncall@example.com');
    const row = rows.find((r) => r.channel === 'email')!;
    const before = mails.length;
    expect(await deliverer.deliver(row)).toEqual({ kind: 'delivered' });
    expect(mails).toHaveLength(before + 1);
    const mail = mails.at(-1)!;
    expect(mail.from).toBe('alerts@tock.example');
    expect(mail.to).toEqual(['oncall@example.com']);
    expect(mail.subject).toBe("[Tock] Monitor 'nightly backup' is down");
    expect(mail.raw).toContain(`Message-ID: <${row.id}@tock>`);
    const link = `https://tock.example/monitors/${monitor.id}`;
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain(clock.now().toISOString());
      expect(part).toContain(`No ping since ${monitor.lastPingAt!.toISOString()}`);
      expect(part).toContain(link);
    }
    expect(mail.text).toContain('Because of: no ping by its deadline');
    expect(mail.html).toContain(`<a href="${link}">Open in Tock</a>`);
    expect(mail.html).toContain("<h2 style=\"color:#d93025\">Monitor &#39;nightly backup&#39; is down</h2>");
  });

  it('fails for a mailbox the server refuses, retries when the server is unreachable, fails without SMTP', async () => {
    const { rows } = await downMonitor('/mail-errors', 'json', 'nobody@example.com');
    const row = rows.find((r) => r.channel === 'email')!;
    const refusedOutcome = await deliverer.deliver(row);
    expect(refusedOutcome.kind).toBe('failed');
    expect(refusedOutcome.kind === 'failed' && refusedOutcome.error).toMatch(/^SMTP: .*550/);

    const closed = await new Promise<number>((resolve) => {
      const s = new SMTPServer({ logger: false });
      s.listen(0, '127.0.0.1', () => {
        const port = (s.server.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const unreachable = new Deliverer({ executor, signingSecrets: signingSecretsFrom(t.database.db), mailer: createMailer(`smtp://127.0.0.1:${closed}`, 2000), from: 'x@tock.example' });
    expect(await unreachable.deliver({ ...row, target: 'oncall@example.com' })).toMatchObject({ kind: 'retry', error: expect.stringMatching(/^SMTP: /) });

    const none = new Deliverer({ executor, signingSecrets: signingSecretsFrom(t.database.db), mailer: null, from: 'x@tock.example' });
    expect(await none.deliver(row)).toEqual({ kind: 'failed', error: 'email alerts need an SMTP server: set TOCK_SMTP_URL' });
  });
});
