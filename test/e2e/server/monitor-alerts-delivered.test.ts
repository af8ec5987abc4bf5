import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../../client/src/webhooks.js';
import { startTock, type RunningTock } from '../../../server/app.js';
import { parseConfig } from '../../../server/config.js';
import type { Actor, Principal } from '../../../server/core/types.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../helpers/smtp.js';
import { Receiver, until } from '../../integration/timer/harness.js';

/**
 * The whole way, as `npm start` wires it: a monitor pinged over HTTP and left silent goes down at
 * its deadline (the timer's monitor source), and its alerts reach a real webhook receiver and a
 * real SMTP server (the alert source and runner); the next ping brings one monitor.up to each.
 */
let database: TestDatabase;
let tock: RunningTock;
let receiver: Receiver;
let smtp: SmtpSink;
let mails: ReceivedMail[] = [];
let url: string;
let actor: Actor;
let principal: Principal;

beforeAll(async () => {
  database = await createTestDatabase();
  receiver = await new Receiver().listen();
  smtp = await startSmtpSink();
  mails = smtp.mails;
  tock = await startTock(
    parseConfig({
      DATABASE_URL: database.url,
      PORT: '0',
      GRPC_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      TOCK_SHUTDOWN_DEADLINE_MS: '2000',
      TOCK_ALLOW_TARGETS: '127.0.0.1/32',
      TOCK_SMTP_URL: smtp.url,
    }),
  );
  url = `http://127.0.0.1:${tock.http.port}`;
  principal = await tock.core.authenticate(tock.bootstrapSecret!);
  actor = await tock.core.actor(principal);
});
afterAll(async () => {
  await tock?.stop();
  await receiver?.close();
  await smtp?.close();
  await database?.close();
});

const webhookEvents = () => receiver.to('/alerts').map((r) => (JSON.parse(r.body) as { event: string }).event);
/** Mails whose subject says the monitor is `state` (`down`, `up`). */
const mailed = (state: 'down' | 'up') => mails.filter((m) => new RegExp(`^Subject: .*'nightly-backup' is ${state}\\b`, 'm').test(m.raw));

describe('a silent monitor with a webhook and an email channel', () => {
  it('delivers one signed monitor.down to the webhook and one email after its deadline, and one monitor.up of each after the next ping', async () => {
    const m = await tock.core.monitors.create(actor, { name: 'nightly-backup', periodSeconds: 1, graceSeconds: 1, alertEmail: 'ops@example.com', alertWebhook: `${receiver.url}/alerts` });
    expect((await fetch(`${url}/ping/${m.pingToken}`)).status).toBe(200);

    await until(async () => webhookEvents().includes('monitor.down') && mailed('down').length > 0, { timeoutMs: 15_000, message: 'monitor.down was not delivered on both channels' });
    const down = receiver.to('/alerts')[0];
    const { current } = await tock.core.projects.getSigningSecrets(principal, actor.projectId);
    expect(verifyWebhook(current, down.headers, down.body)).toMatchObject({ event: 'monitor.down' });
    expect(mailed('down')[0].to).toEqual(['ops@example.com']);
    expect(mailed('down')[0].raw).toContain('Content-Type: text/html');

    expect((await fetch(`${url}/ping/${m.pingToken}`)).status).toBe(200);
    await until(async () => webhookEvents().includes('monitor.up') && mailed('up').length > 0, { timeoutMs: 15_000, message: 'monitor.up was not delivered on both channels' });
    await tock.core.monitors.pause(actor, m.id);

    // Each alert exactly once per channel, under its own webhook-id.
    expect(webhookEvents()).toEqual(['monitor.down', 'monitor.up']);
    expect(new Set(receiver.to('/alerts').map((r) => r.headers['webhook-id'])).size).toBe(2);
    expect(mailed('down')).toHaveLength(1);
    expect(mailed('up')).toHaveLength(1);
  });
});
