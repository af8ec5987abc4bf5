import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type TockClient } from '../../../../client/src/index.js';
import { startFliqServer, type FliqServer } from './harness.js';

/**
 * One set of objects: a job or schedule made through Fliq is the one tRPC (the typed client)
 * shows, with the same stored values, and one made through tRPC is the one Fliq shows.
 */
let s: FliqServer;
let tock: TockClient;
const at = '2030-01-02T03:04:05Z';

beforeAll(async () => {
  s = await startFliqServer();
  tock = createClient({ url: s.url, apiKey: s.admin.secret });
});
afterAll(() => s?.close());

describe('Fliq and tRPC', () => {
  it('show a job made through Fliq with the same values through tRPC', async () => {
    const made = (
      await s.call('POST', '/v1/jobs', {
        body: {
          url: 'https://app.example/charge',
          http_method: 'PATCH',
          scheduled_at: at,
          headers: { 'X-Id': '7' },
          body: 'amount=5',
          max_retries: 2,
          idempotency_key: 'charge-7',
          webhook_url: 'https://hooks.example/j',
          webhook_headers: { 'X-Hook': 'h' },
        },
      })
    ).json;
    const viaTrpc = await tock.jobs.get(made.id);
    expect(viaTrpc).toMatchObject({
      id: made.id,
      url: 'https://app.example/charge',
      method: 'PATCH',
      scheduledAt: new Date(at),
      headers: { 'X-Id': '7' },
      body: 'amount=5',
      maxRetries: 2,
      idempotencyKey: 'charge-7',
      webhookUrl: 'https://hooks.example/j',
      webhookHeaders: { 'X-Hook': 'h' },
      status: 'scheduled',
      attempts: 0,
      source: 'api',
    });
    expect(viaTrpc.createdAt.toISOString().replace('.000Z', 'Z')).toBe(made.created_at);
    // Cancelled through tRPC, it is cancelled through Fliq.
    await tock.jobs.cancel(made.id);
    expect((await s.call('GET', `/v1/jobs/${made.id}`)).json.status).toBe('cancelled');
  });

  it('show a job made through tRPC with the same values through Fliq, in Fliq names', async () => {
    const made = await tock.jobs.create({ url: 'https://app.example/t', method: 'GET', scheduledAt: at, maxRetries: 1, webhookUrl: 'https://hooks.example/t' });
    expect((await s.call('GET', `/v1/jobs/${made.id}`)).json).toMatchObject({
      id: made.id,
      url: 'https://app.example/t',
      http_method: 'GET',
      scheduled_at: at,
      max_retries: 1,
      webhook_url: 'https://hooks.example/t',
      status: 'scheduled',
      attempts: 0,
    });
    expect((await s.call('GET', '/v1/jobs?status=scheduled')).json.jobs.map((j: { id: string }) => j.id)).toContain(made.id);
  });

  it('show a schedule made through Fliq through tRPC, and one made through tRPC through Fliq', async () => {
    const viaFliq = (
      await s.call('POST', '/v1/schedules', { body: { url: 'https://app.example/digest', cron: '0 8 * * 1-5', max_retries: 1, webhook_url: 'https://hooks.example/s' } })
    ).json;
    expect(await tock.schedules.get(viaFliq.id)).toMatchObject({
      id: viaFliq.id,
      url: 'https://app.example/digest',
      method: 'POST',
      cron: '0 8 * * 1-5',
      timezone: 'UTC',
      maxRetries: 1,
      webhookUrl: 'https://hooks.example/s',
      state: 'active',
      nextRunAt: new Date(viaFliq.next_run_at),
    });

    const viaTrpc = await tock.schedules.create({ url: 'https://app.example/riga', cron: '0 9 * * *', timezone: 'Europe/Riga' });
    await tock.schedules.pause(viaTrpc.id);
    expect((await s.call('GET', `/v1/schedules/${viaTrpc.id}`)).json).toMatchObject({
      id: viaTrpc.id,
      url: 'https://app.example/riga',
      cron: '0 9 * * *',
      timezone: 'Europe/Riga',
      status: 'paused',
      next_run_at: null,
    });
    // Deleted through Fliq, tRPC no longer finds it.
    await s.call('DELETE', `/v1/schedules/${viaTrpc.id}`);
    await expect(tock.schedules.get(viaTrpc.id)).rejects.toMatchObject({ code: 'not_found' });
  });
});
