import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type TockClient } from '../../../../client/src/index.js';
import { idOfUuid, uuidOfId } from '../../../../server/core/ids.js';
import { startKrafterWorld, until, type KrafterWorld } from './harness.js';

/**
 * One object, one identity, whatever the surface: a Krafter cron job is the schedule tRPC (the
 * `@tock/client`) shows, with the same stored values, and a schedule made through tRPC is a
 * Krafter cron job with the UUID inside its id. All on one running server.
 */
let w: KrafterWorld;
let tock: TockClient;
const BASE = '/api/v1/cron/jobs';

beforeAll(async () => {
  w = await startKrafterWorld();
  tock = createClient({ url: w.url, apiKey: w.key });
});
afterAll(async () => {
  await w?.close();
});

describe('a cron job and a schedule', () => {
  it('made through Krafter is the schedule tRPC reads, with the values the document stated', async () => {
    const made = (
      await w.call('POST', BASE, {
        body: { name: 'Via Krafter', schedule_type: 'interval', schedule: 'every_15m', url: 'https://example.com/k', method: 'GET', headers: { 'X-K': 'v' } },
      })
    ).json.data;
    const id = idOfUuid('schedule', made.id)!;
    const s = await tock.schedules.get(id);
    expect(s).toMatchObject({
      id,
      name: 'Via Krafter',
      url: 'https://example.com/k',
      method: 'GET',
      headers: { 'X-K': 'v' },
      cron: null,
      intervalSeconds: 900,
      timezone: 'UTC',
      timeoutMs: 30000,
      maxRetries: 3,
      state: 'active',
      alertOnFailure: false,
      alertOnRecovery: false,
      lastStatus: null,
    });
    // The same instants, Krafter in whole seconds.
    expect(made.next_run_at).toBe(new Date(Math.floor(new Date(s.nextRunAt!).getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
    expect(made.created_at).toBe(new Date(Math.floor(new Date(s.createdAt).getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z'));

    // A change through Krafter is seen by tRPC, and one through tRPC by Krafter.
    await w.call('PATCH', `${BASE}/${made.id}`, { body: { enabled: false, failure_notify: true } });
    expect(await tock.schedules.get(id)).toMatchObject({ state: 'paused', nextRunAt: null, alertOnFailure: true, alertOnRecovery: true });
    await tock.schedules.update(id, { name: 'Renamed by tRPC', intervalSeconds: 7200 });
    expect((await w.call('GET', `${BASE}/${made.id}`)).json.data).toMatchObject({ name: 'Renamed by tRPC', schedule: 'every_2h', enabled: false, failure_notify: true });
  });

  it('made through tRPC is a Krafter cron job under the UUID inside its id, in lists too', async () => {
    const s = await tock.schedules.create({
      name: 'Via tRPC',
      url: 'https://example.com/t',
      cron: '15 4 * * *',
      timezone: 'Europe/Riga',
      maxRetries: 1,
      timeoutMs: 9000,
      alertOnFailure: true,
    });
    const uuid = uuidOfId(s.id);
    const got = await w.call('GET', `${BASE}/${uuid}`);
    expect(got.status).toBe(200);
    expect(got.json.data).toMatchObject({
      id: uuid,
      name: 'Via tRPC',
      schedule_type: 'cron',
      schedule: '15 4 * * *',
      timezone: 'Europe/Riga',
      url: 'https://example.com/t',
      method: 'POST',
      headers: {},
      timeout_ms: 9000,
      max_retries: 1,
      enabled: true,
      failure_notify: true,
    });
    const listed = (await w.call('GET', `${BASE}?limit=200`)).json.data as Array<{ id: string }>;
    expect(listed.map((j) => j.id)).toContain(uuid);
  });

  it("triggered through Krafter runs as tRPC's execution history shows it, under the same ids", async () => {
    const s = await tock.schedules.create({ name: 'History', url: `${w.receiver.url}/history`, intervalSeconds: 3600 });
    const uuid = uuidOfId(s.id);
    expect((await w.call('POST', `${BASE}/${uuid}/trigger`)).json).toEqual({ ok: true });
    await until(async () => (await tock.schedules.listExecutions(s.id)).items.length === 1, { timeoutMs: 15_000 });
    const [e] = (await tock.schedules.listExecutions(s.id)).items;
    const [k] = (await w.call('GET', `${BASE}/${uuid}/executions`)).json.data;
    expect(k).toMatchObject({
      id: uuidOfId(e.id),
      status: 'success',
      http_status: e.statusCode,
      response_body: e.responseBody,
      error: e.error,
      attempt: e.attempt,
      duration_ms: e.durationMs,
    });
    // trigger left the schedule's next run where it was.
    expect((await tock.schedules.get(s.id)).nextRunAt).toEqual(s.nextRunAt);
  });

  it('deleted through Krafter is gone for tRPC', async () => {
    const s = await tock.schedules.create({ url: 'https://example.com/d', intervalSeconds: 60 });
    expect((await w.call('DELETE', `${BASE}/${uuidOfId(s.id)}`)).status).toBe(200);
    await expect(tock.schedules.get(s.id)).rejects.toMatchObject({ code: 'not_found' });
  });
});
