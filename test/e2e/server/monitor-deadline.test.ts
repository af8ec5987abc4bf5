import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTock, type RunningTock } from '../../../server/app.js';
import { parseConfig } from '../../../server/config.js';
import type { Actor } from '../../../server/core/types.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { until } from '../../integration/timer/harness.js';

/**
 * A heartbeat monitor through Tock as `npm start` runs it (config from an environment, the
 * composition root wiring the core and the timer): pinged over HTTP once, then left silent.
 */
let database: TestDatabase;
let tock: RunningTock;
let url: string;
let actor: Actor;

beforeAll(async () => {
  database = await createTestDatabase();
  tock = await startTock(
    parseConfig({ DATABASE_URL: database.url, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', TOCK_SHUTDOWN_DEADLINE_MS: '2000' }),
  );
  url = `http://127.0.0.1:${tock.http.port}`;
  actor = await tock.core.actor(await tock.core.authenticate(tock.bootstrapSecret!));
});
afterAll(async () => {
  await tock?.stop();
  await database?.close();
});

describe('a monitor pinged over HTTP and then left silent', () => {
  it('goes down after its deadline with one monitor.down per channel, and comes back up with the next ping', async () => {
    const m = await tock.core.monitors.create(actor, { periodSeconds: 1, graceSeconds: 1, alertEmail: 'ops@example.com', alertWebhook: 'https://hooks.slack.com/services/T0/B0/X' });
    expect((await fetch(`${url}/ping/${m.pingToken}`)).status).toBe(200);
    const pinged = await tock.core.monitors.get(actor, m.id);
    expect(pinged.status).toBe('up');

    await until(async () => (await tock.core.monitors.get(actor, m.id)).status === 'down', { timeoutMs: 10_000, message: 'the monitor did not go down' });
    const events = async () => (await tock.core.alerts.list(actor, 'monitor', m.id, { pageSize: 100 })).items.map((x) => `${x.event} ${x.channel}`).sort();
    expect(await events()).toEqual(['monitor.down email', 'monitor.down webhook']);
    const [flip] = (await tock.core.alerts.listFlips(actor, 'monitor', m.id)).items;
    expect(flip.at.getTime()).toBeGreaterThanOrEqual(pinged.nextDeadlineAt!.getTime());
    expect((await tock.scheduler!.stats()).monitorDeadlines).toBe(1);

    expect((await fetch(`${url}/ping/${m.pingToken}`)).status).toBe(200);
    await tock.core.monitors.pause(actor, m.id);
    expect(await events()).toEqual(['monitor.down email', 'monitor.down webhook', 'monitor.up email', 'monitor.up webhook']);
  });
});
