import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore, type TestCore } from '../../../helpers/core.js';
import { API_KEY, call, ISO, MONITOR_ID, PING_URL, pingAt, PUBLIC_URL, startCronpeekServer, type CronpeekServer } from './harness.js';

/**
 * Every example request of the CronPeek document, replayed as written (its base URL and key
 * swapped for this server's) against a real listening server, each answer checked field by
 * field against the documented one: ids, keys and times by shape. Where Tock answers otherwise
 * on purpose (the plan's name, ids and key formats) the test says so; docs/rest-cronpeek.md
 * lists those differences. The server runs with a monitor limit of 5, as in the document's
 * free plan, and open sign-up.
 */
let t: TestCore;
let server: CronpeekServer;
let base: string;

beforeAll(async () => {
  t = await createTestCore({ publicUrl: PUBLIC_URL, monitorLimit: 5 });
  server = await startCronpeekServer(t, { openSignup: true });
  base = server.url;
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

/** Every field CronPeek's monitor answers carry (the document shows some of them per endpoint). */
const MONITOR_FIELDS = ['monitorId', 'name', 'pingUrl', 'schedule', 'grace', 'status', 'lastPing', 'lastAlert', 'pingCount', 'alertEmail', 'alertWebhook'].sort();

const json = { 'Content-Type': 'application/json' };

describe('the Quick Start', () => {
  let key = '';
  let pingUrl = '';

  it('creates an account: 201 with the API key, the plan and the monitor limit', async () => {
    const res = await call(`${base}/api/v1/accounts`, { method: 'POST', headers: json, body: '{"email": "you@example.com"}' });
    expect(res.status).toBe(201);
    // The document's plan is "free"; a self-hosted Tock has no plans, so it says so. `monitors` is the limit.
    expect(res.json).toEqual({ apiKey: API_KEY, plan: 'self-hosted', monitors: 5 });
    key = res.json.apiKey;
  });

  it('creates a monitor with a name and a schedule: 201 with its pingUrl', async () => {
    const res = await call(`${base}/api/v1/monitors`, {
      method: 'POST',
      headers: { 'x-api-key': key, ...json },
      body: '{"name": "Nightly DB Backup", "schedule": 86400}',
    });
    expect(res.status).toBe(201);
    // grace left out: 10% of the schedule.
    expect(res.json).toEqual({
      monitorId: MONITOR_ID,
      name: 'Nightly DB Backup',
      pingUrl: PING_URL,
      schedule: 86400,
      grace: 8640,
      status: 'new',
      lastPing: null,
      lastAlert: null,
      pingCount: 0,
      alertEmail: null,
      alertWebhook: null,
    });
    pingUrl = res.json.pingUrl;
  });

  it('pings from the cron job with curl -s: 200, and the monitor is up', async () => {
    const res = await call(pingAt(server, pingUrl));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true, monitor: 'Nightly DB Backup', status: 'up' });
  });

  it('lists the monitors with the key in x-api-key (the Authentication example)', async () => {
    const res = await call(`${base}/api/v1/monitors`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ monitors: [{ name: 'Nightly DB Backup', status: 'up', pingCount: 1 }], count: 1 });
  });
});

describe('the endpoint examples', () => {
  let key = '';
  let monitorId = '';
  let pingUrl = '';

  it('Create Account: 201 with apiKey, plan and monitors', async () => {
    const res = await call(`${base}/api/v1/accounts`, { method: 'POST', headers: json, body: '{"email": "dev@company.com"}' });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ apiKey: API_KEY, plan: 'self-hosted', monitors: 5 });
    key = res.json.apiKey;
  });

  it('Create Monitor with grace and alertWebhook: 201 with the documented fields', async () => {
    const res = await call(`${base}/api/v1/monitors`, {
      method: 'POST',
      headers: { 'x-api-key': key, ...json },
      body: `{
    "name": "Nightly DB Backup",
    "schedule": 86400,
    "grace": 3600,
    "alertWebhook": "https://hooks.slack.com/services/T00/B00/xxx"
  }`,
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ monitorId: MONITOR_ID, name: 'Nightly DB Backup', pingUrl: PING_URL, schedule: 86400, grace: 3600, status: 'new' });
    expect(Object.keys(res.json).sort()).toEqual(MONITOR_FIELDS);
    expect(res.json).toMatchObject({ alertWebhook: 'https://hooks.slack.com/services/T00/B00/xxx', alertEmail: null, pingCount: 0 });
    monitorId = res.json.monitorId;
    pingUrl = res.json.pingUrl;
  });

  it('Send Ping by GET, HEAD (curl -I, no body) and POST (curl -X POST, no body): 200 each', async () => {
    const url = pingAt(server, pingUrl);
    const got = await call(url);
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ ok: true, monitor: 'Nightly DB Backup', status: 'up' });

    const head = await call(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');

    const posted = await call(url, { method: 'POST' });
    expect(posted.status).toBe(200);
    expect(posted.json).toEqual({ ok: true, monitor: 'Nightly DB Backup', status: 'up' });
  });

  it('List Monitors: {monitors: [...], count} with the documented item fields', async () => {
    const res = await call(`${base}/api/v1/monitors`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      monitors: [expect.objectContaining({ monitorId, name: 'Nightly DB Backup', status: 'up', schedule: 86400, grace: 3600, lastPing: ISO, pingCount: 3 })],
      count: 1,
    });
    expect(Object.keys(res.json.monitors[0]).sort()).toEqual(MONITOR_FIELDS);
  });

  it('Monitor Status: the monitor with its last ping and last alert', async () => {
    const res = await call(`${base}/api/v1/monitors/${monitorId}/status`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      monitorId,
      name: 'Nightly DB Backup',
      status: 'up',
      schedule: 86400,
      grace: 3600,
      lastPing: ISO,
      lastAlert: null,
      pingCount: 3,
    });
    expect(Object.keys(res.json).sort()).toEqual(MONITOR_FIELDS);
  });

  it('the Integration Examples ping by GET: curl -fsS --retry 3 --max-time 10, https.get from Node, requests.get from Python', async () => {
    const url = pingAt(server, pingUrl);
    const curl = await call(url, { headers: { 'user-agent': 'curl/8.5.0' } });
    expect(curl.status).toBe(200);
    // The Node example: `https.get(url, (res) => resolve(res.statusCode))` (http here: loopback).
    const nodeStatus = await new Promise<number | undefined>((resolve, reject) => {
      get(url, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    expect(nodeStatus).toBe(200);
    const python = await call(url, { headers: { 'user-agent': 'python-requests/2.31.0' } });
    expect(python.status).toBe(200);

    const status = await call(`${base}/api/v1/monitors/${monitorId}/status`, { headers: { 'x-api-key': key } });
    expect(status.json.pingCount).toBe(6);
  });

  it('Delete Monitor: 200 {deleted: true}, and the monitor is gone', async () => {
    const res = await call(`${base}/api/v1/monitors/${monitorId}`, { method: 'DELETE', headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ deleted: true });
    const after = await call(`${base}/api/v1/monitors/${monitorId}/status`, { headers: { 'x-api-key': key } });
    expect(after.status).toBe(404);
    expect(after.json).toEqual({ error: expect.stringContaining(monitorId) });
  });

  it('Health Check: status, service, version and timestamp', async () => {
    const res = await call(`${base}/api/health`);
    expect(res.status).toBe(200);
    // The document's service is "cronpeek": this server says what it is.
    expect(res.json).toEqual({ status: 'ok', service: 'tock', version: expect.stringMatching(/^\d+\.\d+\.\d+/), timestamp: ISO });
  });

  it('Error Codes: the sixth monitor of an account limited to 5 answers 403 with the documented message', async () => {
    for (let i = 1; i <= 5; i++) {
      const res = await call(`${base}/api/v1/monitors`, {
        method: 'POST',
        headers: { 'x-api-key': key, ...json },
        body: JSON.stringify({ name: `job ${i}`, schedule: 3600 }),
      });
      expect(res.status).toBe(201);
    }
    const res = await call(`${base}/api/v1/monitors`, { method: 'POST', headers: { 'x-api-key': key, ...json }, body: '{"name": "one too many", "schedule": 3600}' });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: 'Monitor limit reached (5). Upgrade your plan for more monitors.' });
  });

  it('answered nothing with a 5xx and logged no error', () => {
    expect(server.errors).toEqual([]);
  });
});
