import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../../helpers/core.js';
import { until } from '../../../integration/timer/harness.js';
import { runCurl } from './curl.js';
import { call, EXECUTION_ID, JOB_ID, SCHEDULE_ID, startPrikke, TIME, type PrikkeServer } from './harness.js';

/**
 * Every example request of the Prikke API document, replayed as written (the base URL, the key
 * and the example job id swapped for real ones) against a listening server, and each answer
 * checked field by field against the documented one (ids and times by shape).
 *
 * The documented jobs call myapp.com, so no scheduler runs on their server: nothing leaves
 * the machine. What needs a run (run immediately, the execution history) is replayed on a
 * second server, with a scheduler node and a database of its own, against the loopback
 * receiver (the request as written, its `url` swapped).
 */

const DOC_BASE = 'https://api.prikke.io';
let s: PrikkeServer;
let firing: PrikkeServer;

beforeAll(async () => {
  [s, firing] = await Promise.all([startPrikke(), startPrikke()]);
  await firing.world.node();
  firing.receiver.respond((_req, res) => res.writeHead(200).end('done'));
});
afterAll(async () => {
  await Promise.all([s?.close(), firing?.close()]);
});

/** The document's command with its base URL, key and example id swapped. */
function swapped(command: string, key: string, id?: string, server: PrikkeServer = s): string {
  let out = command.replaceAll(DOC_BASE, server.url).replaceAll('pk_live_xxx', key);
  if (id) out = out.replaceAll('job_abc123', id);
  return out;
}

const SYNC_EXAMPLE = `curl -X PUT https://api.prikke.io/sync \\
  -H "Authorization: Bearer pk_live_xxx" \\
  -H "Content-Type: application/json" \\
  -d '{
    "jobs": [
      {
        "key": "daily-backup",
        "name": "Daily backup",
        "url": "https://myapp.com/api/backup",
        "cron": "0 6 * * *"
      },
      {
        "key": "hourly-sync",
        "name": "Hourly sync",
        "url": "https://myapp.com/api/sync",
        "cron": "0 * * * *",
        "headers": {
          "Authorization": "Bearer my-app-token"
        }
      }
    ],
    "notifications": {
      "email": "alerts@myapp.com",
      "webhook_url": "https://hooks.slack.com/services/xxx"
    },
    "delete_removed": true
  }'`;

const PRIKKE_JSON = `// prikke.json
{
  "jobs": [
    {
      "key": "daily-backup",
      "name": "Daily backup",
      "url": "https://myapp.com/api/backup",
      "cron": "0 6 * * *"
    }
  ],
  "notifications": {
    "email": "alerts@myapp.com"
  },
  "delete_removed": true
}`;

const SYNC_FILE_EXAMPLE = `curl -X PUT https://api.prikke.io/sync \\
  -H "Authorization: Bearer $PRIKKE_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d @prikke.json`;

const GET_PROJECT = `curl https://api.prikke.io/project \\
  -H "Authorization: Bearer pk_live_xxx"`;

const PUT_PROJECT = `curl -X PUT https://api.prikke.io/project \\
  -H "Authorization: Bearer pk_live_xxx" \\
  -H "Content-Type: application/json" \\
  -d '{
    "notifications": {
      "email": "alerts@myapp.com",
      "webhook_url": "https://hooks.slack.com/services/xxx/yyy/zzz"
    }
  }'`;

describe('Declarative API and Project Settings examples', () => {
  let a: TestTenant;

  beforeAll(async () => {
    a = await s.tenant('declarative');
    // What the documented answer implies was there before: an "hourly-sync" that differs from
    // the file (no headers), and an "old-job" the file no longer names.
    await s.world.t.core.schedules.create(a.actor, { key: 'hourly-sync', name: 'Hourly sync', url: 'https://myapp.com/api/sync', cron: '0 * * * *' });
    await s.world.t.core.schedules.create(a.actor, { key: 'old-job', name: 'Old job', url: 'https://myapp.com/api/old', cron: '0 0 * * *' });
  });

  it('PUT /sync creates, updates and deletes as the documented response says', async () => {
    const res = await runCurl(swapped(SYNC_EXAMPLE, a.secret));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      created: ['daily-backup'],
      updated: ['hourly-sync'],
      deleted: ['old-job'],
      unchanged: [],
      jobs: [
        { id: SCHEDULE_ID, key: 'daily-backup', name: 'Daily backup', url: 'https://myapp.com/api/backup', cron: '0 6 * * *' },
        { id: SCHEDULE_ID, key: 'hourly-sync', name: 'Hourly sync', url: 'https://myapp.com/api/sync', cron: '0 * * * *' },
      ],
      notifications: { email: 'alerts@myapp.com', webhook_url: 'https://hooks.slack.com/services/xxx' },
    });
    expect(Object.keys(res.body).sort()).toEqual(['created', 'deleted', 'jobs', 'notifications', 'unchanged', 'updated']);
    expect(res.body.jobs).toHaveLength(2);
    expect((await s.world.t.core.schedules.getByKey(a.actor, 'hourly-sync')).headers).toEqual({ Authorization: 'Bearer my-app-token' });
  });

  it('PUT /sync is idempotent: the same call again reports everything unchanged', async () => {
    const res = await runCurl(swapped(SYNC_EXAMPLE, a.secret));
    expect(res.body).toMatchObject({ created: [], updated: [], deleted: [], unchanged: ['daily-backup', 'hourly-sync'] });
  });

  it('GET /project answers the documented settings', async () => {
    const res = await runCurl(swapped(GET_PROJECT, a.secret));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ notifications: { email: 'alerts@myapp.com', webhook_url: 'https://hooks.slack.com/services/xxx' } });
  });

  it('PUT /sync with the prikke.json file of the Infrastructure as Code example', async () => {
    const res = await runCurl(SYNC_FILE_EXAMPLE.replaceAll(DOC_BASE, s.url), { PRIKKE_API_KEY: a.secret }, { 'prikke.json': PRIKKE_JSON.replace(/^\/\/.*\n/, '') });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      created: [],
      updated: [],
      deleted: ['hourly-sync'],
      unchanged: ['daily-backup'],
      jobs: [{ id: SCHEDULE_ID, key: 'daily-backup', name: 'Daily backup', url: 'https://myapp.com/api/backup', cron: '0 6 * * *' }],
      // The file names only an email: the whole notification settings are what it says.
      notifications: { email: 'alerts@myapp.com', webhook_url: null },
    });
  });

  it('PUT /project answers the settings and what changed, with dotted keys', async () => {
    const res = await runCurl(swapped(PUT_PROJECT, a.secret));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      notifications: { email: 'alerts@myapp.com', webhook_url: 'https://hooks.slack.com/services/xxx/yyy/zzz' },
      changes: { 'notifications.webhook_url': { from: null, to: 'https://hooks.slack.com/services/xxx/yyy/zzz' } },
    });
  });
});

describe('Jobs API and Executions examples', () => {
  let b: TestTenant;
  let dailyBackupId = '';

  beforeAll(async () => {
    b = await s.tenant('jobs');
  });

  it('POST /jobs, a recurring job', async () => {
    const res = await runCurl(
      swapped(
        `curl -X POST https://api.prikke.io/jobs \\
  -H "Authorization: Bearer pk_live_xxx" \\
  -H "Content-Type: application/json" \\
  -d '{
    "key": "daily-backup",
    "name": "Daily backup",
    "url": "https://myapp.com/api/backup",
    "cron": "0 6 * * *"
  }'`,
        b.secret,
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body.job).toMatchObject({
      id: SCHEDULE_ID,
      key: 'daily-backup',
      name: 'Daily backup',
      url: 'https://myapp.com/api/backup',
      method: 'POST',
      cron: '0 6 * * *',
      run_at: null,
      enabled: true,
      next_run_at: TIME,
      created_at: TIME,
      updated_at: TIME,
    });
    dailyBackupId = res.body.job.id;
  });

  it('POST /jobs, a one-time job', async () => {
    const res = await runCurl(
      swapped(
        `curl -X POST https://api.prikke.io/jobs \\
  -H "Authorization: Bearer pk_live_xxx" \\
  -H "Content-Type: application/json" \\
  -d '{
    "name": "Send reminder",
    "url": "https://myapp.com/api/remind",
    "run_at": "2025-02-01T09:00:00Z",
    "body": "{\\"user_id\\": 123}"
  }'`,
        b.secret,
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body.job).toMatchObject({
      id: JOB_ID,
      key: expect.stringMatching(/^send-reminder-[0-9a-f]{8}$/),
      name: 'Send reminder',
      url: 'https://myapp.com/api/remind',
      method: 'POST',
      cron: null,
      run_at: '2025-02-01T09:00:00Z',
      body: '{"user_id": 123}',
      created_at: TIME,
    });
  });

  /** The document's "Run immediately" fetch call, with its base URL and key swapped (and its target, when given). */
  const runImmediately = (server: PrikkeServer, key: string, url = 'https://myapp.com/api/process') =>
    fetch(`${server.url}/jobs`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${key}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        name: 'Process upload',
        url,
        run_at: new Date().toISOString(),
        body: JSON.stringify({ file_id: 'abc123' }),
      }),
    });

  it('POST /jobs, "Run immediately": a one-time job due now', async () => {
    const response = await runImmediately(s, b.secret);
    expect(response.status).toBe(200);
    const { job } = (await response.json()) as { job: Record<string, string> };
    expect(job).toMatchObject({ id: JOB_ID, name: 'Process upload', url: 'https://myapp.com/api/process', body: '{"file_id":"abc123"}', run_at: TIME, next_run_at: job.run_at, status: 'scheduled' });
    expect(Math.abs(Date.parse(job.run_at) - Date.now())).toBeLessThan(5_000);
  });

  it('POST /jobs, "Run immediately", with a scheduler running: the call goes out at once', async () => {
    const f = await firing.tenant('run-now');
    const sent = Date.now();
    const response = await runImmediately(firing, f.secret, `${firing.receiver.url}/api/process`);
    expect(response.status).toBe(200);
    await until(() => firing.receiver.to('/api/process').length > 0, { timeoutMs: 5_000 });
    const [got] = firing.receiver.to('/api/process');
    expect(got).toMatchObject({ method: 'POST', body: '{"file_id":"abc123"}' });
    expect(got.at - sent).toBeLessThan(2_000);
  });

  it('GET /jobs lists the jobs', async () => {
    const res = await runCurl(swapped(`curl https://api.prikke.io/jobs \\\n  -H "Authorization: Bearer pk_live_xxx"`, b.secret));
    expect(res.status).toBe(200);
    expect(res.body.jobs[0]).toMatchObject({
      id: dailyBackupId,
      key: 'daily-backup',
      name: 'Daily backup',
      url: 'https://myapp.com/api/backup',
      method: 'POST',
      cron: '0 6 * * *',
      enabled: true,
      created_at: TIME,
      updated_at: TIME,
    });
    expect(res.body.jobs.every((j: { id: string }) => typeof j.id === 'string')).toBe(true);
  });

  it('GET /jobs/:id by id, and GET /jobs/key/:key by key', async () => {
    const byId = await runCurl(swapped(`curl https://api.prikke.io/jobs/job_abc123 \\\n  -H "Authorization: Bearer pk_live_xxx"`, b.secret, dailyBackupId));
    expect(byId.status).toBe(200);
    expect(byId.body.job).toMatchObject({ id: dailyBackupId, key: 'daily-backup', name: 'Daily backup', cron: '0 6 * * *' });
    const byKey = await runCurl(swapped(`curl https://api.prikke.io/jobs/key/daily-backup \\\n  -H "Authorization: Bearer pk_live_xxx"`, b.secret));
    expect(byKey.status).toBe(200);
    expect(byKey.body).toEqual(byId.body);
  });

  it('PATCH /jobs/:id answers the job and what changed', async () => {
    const res = await runCurl(
      swapped(
        `curl -X PATCH https://api.prikke.io/jobs/job_abc123 \\
  -H "Authorization: Bearer pk_live_xxx" \\
  -H "Content-Type: application/json" \\
  -d '{
    "cron": "0 7 * * *"
  }'`,
        b.secret,
        dailyBackupId,
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body.job).toMatchObject({ id: dailyBackupId, key: 'daily-backup', name: 'Daily backup', cron: '0 7 * * *', updated_at: TIME });
    expect(res.body.changes).toEqual({ cron: { from: '0 6 * * *', to: '0 7 * * *' } });
  });

  it('GET /jobs/:id/executions answers the execution history', async () => {
    const f = await firing.tenant('executions');
    const created = await call(firing.url, 'POST', '/jobs', { key: f.secret, json: { name: 'Ping receiver', url: `${firing.receiver.url}/run`, run_at: new Date().toISOString() } });
    const id = created.body.job.id as string;
    await until(async () => (await firing.world.t.core.jobs.get(f.actor, id)).status === 'succeeded', { timeoutMs: 10_000 });

    // The document gives no request for this one: it is the curl of the other job examples.
    const res = await runCurl(swapped(`curl https://api.prikke.io/jobs/job_abc123/executions \\\n  -H "Authorization: Bearer pk_live_xxx"`, f.secret, id, firing));
    expect(res.status).toBe(200);
    expect(res.body.executions).toEqual([
      expect.objectContaining({ id: EXECUTION_ID, status: 'success', status_code: 200, duration_ms: expect.any(Number), started_at: TIME, finished_at: TIME }),
    ]);
  });

  it('DELETE /jobs/:id answers deleted and the job', async () => {
    const res = await runCurl(swapped(`curl -X DELETE https://api.prikke.io/jobs/job_abc123 \\\n  -H "Authorization: Bearer pk_live_xxx"`, b.secret, dailyBackupId));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deleted: true, job: { id: dailyBackupId, key: 'daily-backup', name: 'Daily backup' } });
    expect((await call(s.url, 'GET', `/jobs/${dailyBackupId}`, { key: b.secret })).status).toBe(404);
  });
});

describe('Errors example', () => {
  it('a 4-field cron answers 400 invalid_cron, saying how many fields are expected', async () => {
    const c = await s.tenant('errors');
    const res = await call(s.url, 'POST', '/jobs', { key: c.secret, json: { name: 'Bad', url: 'https://myapp.com/x', cron: '* * * *' } });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message']);
    expect(res.body.error.code).toBe('invalid_cron');
    // The document: "Invalid cron expression: '* * * *' (expected 5 fields)".
    expect(res.body.error.message).toMatch(/^Invalid cron expression: '\* \* \* \*' \(expected 5 fields/);
  });
});
