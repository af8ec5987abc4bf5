import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../../helpers/core.js';
import { call, JOB_ID, SCHEDULE_ID, startPrikke, type Answer, type PrikkeServer } from './harness.js';

/**
 * The semantics of the Prikke dialect over Tock's core: a job with `cron` is a schedule, with
 * `run_at` a one-time job; lists, lookups by id and key, PATCH with its changes, DELETE that
 * cancels what is pending, PUT /sync and the project's notifications. No scheduler runs here
 * (jobs stay as created); timer.test.ts fires jobs, at loopback targets only.
 */

let s: PrikkeServer;

beforeAll(async () => {
  s = await startPrikke();
});
afterAll(() => s?.close());

const core = () => s.world.t.core;
const api = (t: TestTenant) => ({
  get: (path: string) => call(s.url, 'GET', path, { key: t.secret }),
  post: (path: string, json: unknown) => call(s.url, 'POST', path, { key: t.secret, json }),
  patch: (path: string, json: unknown) => call(s.url, 'PATCH', path, { key: t.secret, json }),
  put: (path: string, json: unknown) => call(s.url, 'PUT', path, { key: t.secret, json }),
  del: (path: string) => call(s.url, 'DELETE', path, { key: t.secret }),
});
const later = () => new Date(Date.now() + 86_400_000).toISOString();

function expectError(res: Answer, status: number, code: string, message: string | RegExp): void {
  expect([res.status, res.body?.error?.code]).toEqual([status, code]);
  if (typeof message === 'string') expect(res.body.error.message).toBe(message);
  else expect(res.body.error.message).toMatch(message);
}

describe('creating jobs', () => {
  it('makes a job with cron a schedule and a job with run_at a one-time job, each under its own Tock id', async () => {
    const a = await s.tenant();
    const recurring = await api(a).post('/jobs', { key: 'nightly', name: 'Nightly', url: 'https://myapp.com/n', cron: '0 3 * * *', headers: { 'X-Token': 't' } });
    expect(recurring.body.job).toMatchObject({ id: SCHEDULE_ID, key: 'nightly', cron: '0 3 * * *', run_at: null, status: null, headers: { 'X-Token': 't' } });
    const schedule = await core().schedules.get(a.actor, recurring.body.job.id);
    expect(schedule).toMatchObject({ key: 'nightly', name: 'Nightly', method: 'POST', timezone: 'UTC', state: 'active', headers: { 'X-Token': 't' } });

    const once = await api(a).post('/jobs', { key: 'remind-7', name: 'Remind', url: 'https://myapp.com/r', run_at: '2030-01-01T09:00:00+02:00', method: 'put' });
    expect(once.body.job).toMatchObject({ id: JOB_ID, key: 'remind-7', cron: null, run_at: '2030-01-01T07:00:00Z', method: 'PUT', status: 'scheduled', enabled: true });
    expect(await core().jobs.get(a.actor, once.body.job.id)).toMatchObject({ idempotencyKey: 'remind-7', name: 'Remind', method: 'PUT', scheduleId: null, source: 'api' });
  });

  it('answers 400 for both cron and run_at, and for neither, saying which to send; nulls count as absent', async () => {
    const a = await s.tenant();
    const both = await api(a).post('/jobs', { url: 'https://myapp.com/x', cron: '* * * * *', run_at: later() });
    expectError(both, 400, 'invalid_argument', 'Use either cron (recurring) or run_at (one-time), not both');
    const neither = await api(a).post('/jobs', { url: 'https://myapp.com/x', cron: null });
    expectError(neither, 400, 'invalid_argument', 'Set cron (a recurring job) or run_at (a one-time job)');
    expect((await api(a).post('/jobs', { url: 'https://myapp.com/x', cron: null, run_at: later() })).body.job.id).toMatch(/^job_/);
    expect((await core().schedules.list(a.actor)).items).toEqual([]);
  });

  it('generates a key from the name when none is given, different for each job of the same name', async () => {
    const a = await s.tenant();
    const one = await api(a).post('/jobs', { name: 'Daily Report!', url: 'https://myapp.com/r', cron: '0 8 * * *' });
    const two = await api(a).post('/jobs', { name: 'Daily Report!', url: 'https://myapp.com/r', cron: '0 9 * * *' });
    const nameless = await api(a).post('/jobs', { url: 'https://reports.myapp.com/r', run_at: later() });
    expect(one.body.job.key).toMatch(/^daily-report-[0-9a-f]{8}$/);
    expect(two.body.job.key).not.toBe(one.body.job.key);
    expect(nameless.body.job.key).toMatch(/^reports-myapp-com-[0-9a-f]{8}$/);
    expect((await api(a).get(`/jobs/key/${one.body.job.key}`)).body.job.id).toBe(one.body.job.id);
  });

  it('takes every method Tock can send, in any case, and names the method when it cannot', async () => {
    const a = await s.tenant();
    for (const method of ['get', 'POST', 'Put', 'patch', 'DELETE', 'head']) {
      const res = await api(a).post('/jobs', { url: 'https://myapp.com/m', cron: '0 1 * * *', method });
      expect([method, res.status, res.body.job?.method]).toEqual([method, 200, method.toUpperCase()]);
    }
    expectError(await api(a).post('/jobs', { url: 'https://myapp.com/m', cron: '0 1 * * *', method: 'FETCH' }), 400, 'invalid_argument', /^method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD/);
  });

  it('maps enabled to the schedule state: a disabled job has no next run', async () => {
    const a = await s.tenant();
    const res = await api(a).post('/jobs', { url: 'https://myapp.com/p', cron: '0 1 * * *', enabled: false });
    expect(res.body.job).toMatchObject({ enabled: false, next_run_at: null });
    expect((await core().schedules.get(a.actor, res.body.job.id)).state).toBe('paused');
    expectError(await api(a).post('/jobs', { url: 'https://myapp.com/p', run_at: later(), enabled: false }), 400, 'invalid_argument', 'enabled: a one-time job cannot be disabled; DELETE it to cancel it');
  });

  it('returns the first one-time job when the same key and call are sent again, and 409 for another call under that key', async () => {
    const a = await s.tenant();
    const body = { key: 'order-1', url: 'https://myapp.com/charge', run_at: later(), body: '{"order":1}' };
    const first = await api(a).post('/jobs', body);
    const again = await api(a).post('/jobs', body);
    expect(again.body.job.id).toBe(first.body.job.id);
    expectError(await api(a).post('/jobs', { ...body, body: '{"order":2}' }), 409, 'idempotency_conflict', /^Idempotency key 'order-1' was already used/);
  });

  it('answers 409 for a recurring job whose key is taken', async () => {
    const a = await s.tenant();
    await api(a).post('/jobs', { key: 'taken', url: 'https://myapp.com/t', cron: '0 1 * * *' });
    expectError(await api(a).post('/jobs', { key: 'taken', url: 'https://myapp.com/t', cron: '0 2 * * *' }), 409, 'already_exists', "A job with key 'taken' already exists in this project");
  });
});

describe('listing and finding jobs', () => {
  it('lists schedules and pending one-time jobs together, oldest first, and pages with limit and cursor', async () => {
    const a = await s.tenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const body = i % 2 === 0 ? { key: `r${i}`, url: 'https://myapp.com/r', cron: '0 1 * * *' } : { key: `o${i}`, url: 'https://myapp.com/o', run_at: later() };
      ids.push((await api(a).post('/jobs', body)).body.job.id);
    }
    const cancelled = (await api(a).post('/jobs', { key: 'gone', url: 'https://myapp.com/g', run_at: later() })).body.job.id;
    await api(a).del(`/jobs/${cancelled}`);

    const all = await api(a).get('/jobs');
    expect(all.body).toEqual({ jobs: expect.any(Array), next_cursor: null });
    expect(all.body.jobs.map((j: { id: string }) => j.id)).toEqual(ids);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Answer = await api(a).get(`/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.jobs.map((j: { id: string }) => j.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
  });

  it("does not list a schedule's ticks as jobs, nor find them by id", async () => {
    const a = await s.tenant();
    const r = (await api(a).post('/jobs', { key: 'ticking', url: 'https://myapp.com/t', cron: '0 1 * * *' })).body.job;
    const tick = await core().schedules.trigger(a.actor, r.id);
    expect((await api(a).get('/jobs')).body.jobs.map((j: { id: string }) => j.id)).toEqual([r.id]);
    expectError(await api(a).get(`/jobs/${tick.id}`), 404, 'not_found', `No job with id '${tick.id}'`);
  });

  it('finds a schedule by its key first, then a one-time job by its key, and says which key is unknown', async () => {
    const a = await s.tenant();
    const once = (await api(a).post('/jobs', { key: 'shared-name', url: 'https://myapp.com/o', run_at: later() })).body.job;
    expect((await api(a).get('/jobs/key/shared-name')).body.job.id).toBe(once.id);
    const recurring = (await api(a).post('/jobs', { key: 'shared-name', url: 'https://myapp.com/r', cron: '0 1 * * *' })).body.job;
    expect((await api(a).get('/jobs/key/shared-name')).body.job.id).toBe(recurring.id);
    expect((await api(a).get(`/jobs/${once.id}`)).body.job).toMatchObject({ id: once.id, key: 'shared-name', run_at: expect.any(String) });
    expectError(await api(a).get('/jobs/key/nope'), 404, 'not_found', "No job with key 'nope'");
    expectError(await api(a).get('/jobs/sched_nope'), 404, 'not_found', "No job with id 'sched_nope'");
  });

  it('finds jobs by their longest keys, and keys with the other characters keys may hold', async () => {
    const a = await s.tenant();
    const long = `k${'x'.repeat(199)}`;
    const recurring = (await api(a).post('/jobs', { key: long, url: 'https://myapp.com/l', cron: '0 1 * * *' })).body.job;
    expect((await api(a).get(`/jobs/key/${long}`)).body.job.id).toBe(recurring.id);
    const dotted = (await api(a).post('/jobs', { key: 'team.backup:v2_x-1', url: 'https://myapp.com/d', cron: '0 1 * * *' })).body.job;
    expect((await api(a).get('/jobs/key/team.backup:v2_x-1')).body.job.id).toBe(dotted.id);
    const spaced = 'ü'.repeat(250) + ' /?';
    const once = (await api(a).post('/jobs', { key: spaced, url: 'https://myapp.com/o', run_at: later() })).body.job;
    expect((await api(a).get(`/jobs/key/${encodeURIComponent(spaced)}`)).body.job.id).toBe(once.id);
  });

  it('shows a one-time job created through another API with its URL as its name and no key', async () => {
    const a = await s.tenant();
    const job = await core().jobs.create(a.actor, { url: 'https://myapp.com/plain', scheduledAt: later() });
    expect((await api(a).get(`/jobs/${job.id}`)).body.job).toMatchObject({ id: job.id, key: null, name: 'https://myapp.com/plain' });
  });
});

describe('PATCH /jobs/:id', () => {
  it('changes the named fields and reports only those that changed, in Prikke names', async () => {
    const a = await s.tenant();
    const job = (await api(a).post('/jobs', { key: 'p', name: 'P', url: 'https://myapp.com/p', cron: '0 6 * * *', headers: { A: '1' }, body: 'x' })).body.job;
    const res = await api(a).patch(`/jobs/${job.id}`, { cron: '0 6 * * *', name: 'Renamed', enabled: false, headers: null, body: null });
    expect(res.status).toBe(200);
    expect(res.body.changes).toEqual({
      name: { from: 'P', to: 'Renamed' },
      enabled: { from: true, to: false },
      headers: { from: { A: '1' }, to: {} },
      body: { from: 'x', to: null },
    });
    expect(res.body.job).toMatchObject({ name: 'Renamed', enabled: false, next_run_at: null, headers: {}, body: null });
    expect(await core().schedules.get(a.actor, job.id)).toMatchObject({ name: 'Renamed', state: 'paused', headers: {}, body: null });

    const back = await api(a).patch(`/jobs/${job.id}`, { enabled: true, key: 'p2' });
    expect(back.body.changes).toEqual({ enabled: { from: false, to: true }, key: { from: 'p', to: 'p2' } });
    expect(back.body.job.next_run_at).toEqual(expect.any(String));
    expect((await api(a).patch(`/jobs/${job.id}`, {})).body.changes).toEqual({});
  });

  it('accepts a job read with GET sent back whole except its read-only fields, and refuses those by name', async () => {
    const a = await s.tenant();
    const { id, created_at: _c, updated_at: _u, next_run_at: _n, status: _s, ...writable } = (await api(a).post('/jobs', { key: 'w', url: 'https://myapp.com/w', cron: '0 6 * * *' })).body.job;
    expect(id).toMatch(/^sched_/);
    expect((await api(a).patch(`/jobs/${id}`, writable)).body.changes).toEqual({});
    expectError(await api(a).patch(`/jobs/${id}`, { ...writable, id }), 400, 'invalid_argument', 'Unknown field: id');
  });

  it('refuses to change a one-time job (409), to make a recurring one one-time, or to clear its cron (400)', async () => {
    const a = await s.tenant();
    const once = (await api(a).post('/jobs', { url: 'https://myapp.com/o', run_at: later() })).body.job;
    expectError(await api(a).patch(`/jobs/${once.id}`, { name: 'x' }), 409, 'failed_precondition', `Job '${once.id}' is a one-time job (run_at) and cannot be changed: DELETE it and POST a new one`);
    const recurring = (await api(a).post('/jobs', { url: 'https://myapp.com/r', cron: '0 6 * * *' })).body.job;
    expectError(await api(a).patch(`/jobs/${recurring.id}`, { run_at: later() }), 400, 'invalid_argument', /^run_at: a recurring job cannot become a one-time job/);
    expectError(await api(a).patch(`/jobs/${recurring.id}`, { cron: null }), 400, 'invalid_argument', 'cron: a recurring job needs a cron expression; DELETE it to stop it');
    expectError(await api(a).patch(`/jobs/${recurring.id}`, { cron: '61 * * * *' }), 400, 'invalid_cron', /^Invalid cron expression: '61 \* \* \* \*'/);
    expect((await core().schedules.get(a.actor, recurring.id)).cron).toBe('0 6 * * *');
  });

  it('answers 409 when the new key is another job’s', async () => {
    const a = await s.tenant();
    await api(a).post('/jobs', { key: 'first', url: 'https://myapp.com/1', cron: '0 6 * * *' });
    const second = (await api(a).post('/jobs', { key: 'second', url: 'https://myapp.com/2', cron: '0 6 * * *' })).body.job;
    expectError(await api(a).patch(`/jobs/${second.id}`, { key: 'first' }), 409, 'already_exists', "A job with key 'first' already exists in this project");
  });
});

describe('DELETE /jobs/:id', () => {
  it("deletes a recurring job and cancels its runs that were not sent; the history stays", async () => {
    const a = await s.tenant();
    const job = (await api(a).post('/jobs', { key: 'd', name: 'D', url: 'https://myapp.com/d', cron: '0 6 * * *' })).body.job;
    const pending = await core().schedules.trigger(a.actor, job.id);
    const res = await api(a).del(`/jobs/${job.id}`);
    expect(res.body).toEqual({ deleted: true, job: expect.objectContaining({ id: job.id, key: 'd', name: 'D' }) });
    expect((await core().jobs.get(a.actor, pending.id)).status).toBe('cancelled');
    expectError(await api(a).get(`/jobs/${job.id}`), 404, 'not_found', `No job with id '${job.id}'`);
    expectError(await api(a).del(`/jobs/${job.id}`), 404, 'not_found', `No job with id '${job.id}'`);
  });

  it('cancels a pending one-time job, which then leaves the list but stays readable; deleting it again answers the same', async () => {
    const a = await s.tenant();
    const job = (await api(a).post('/jobs', { key: 'o', url: 'https://myapp.com/o', run_at: later() })).body.job;
    const res = await api(a).del(`/jobs/${job.id}`);
    expect(res.body).toEqual({ deleted: true, job: expect.objectContaining({ id: job.id, status: 'cancelled', enabled: false, next_run_at: null }) });
    expect((await api(a).get('/jobs')).body.jobs).toEqual([]);
    expect((await api(a).get(`/jobs/${job.id}`)).body.job.status).toBe('cancelled');
    expect((await api(a).del(`/jobs/${job.id}`)).body).toMatchObject({ deleted: true, job: { status: 'cancelled' } });
  });
});

describe('PUT /sync', () => {
  const backup = { key: 'daily-backup', name: 'Daily backup', url: 'https://myapp.com/api/backup', cron: '0 6 * * *' };

  it('leaves jobs the file does not name unless delete_removed is true, and never touches unkeyed ones', async () => {
    const a = await s.tenant();
    const other = (await api(a).post('/jobs', { key: 'other', url: 'https://myapp.com/o', cron: '0 1 * * *' })).body.job;
    const unkeyed = await core().schedules.create(a.actor, { url: 'https://myapp.com/u', cron: '0 2 * * *' });
    const kept = await api(a).put('/sync', { jobs: [backup] });
    expect(kept.body).toMatchObject({ created: ['daily-backup'], deleted: [] });
    expect((await api(a).get(`/jobs/${other.id}`)).status).toBe(200);

    const notManaged = await api(a).put('/sync', { delete_removed: true });
    expect(notManaged.body).toMatchObject({ created: [], updated: [], deleted: [], unchanged: [], jobs: [] });
    expect((await api(a).get(`/jobs/${other.id}`)).status).toBe(200);

    const pruned = await api(a).put('/sync', { jobs: [backup], delete_removed: true });
    expect(pruned.body).toMatchObject({ deleted: ['other'], unchanged: ['daily-backup'] });
    expect((await api(a).get(`/jobs/${other.id}`)).status).toBe(404);
    expect((await core().schedules.get(a.actor, unkeyed.id)).id).toBe(unkeyed.id);
  });

  it('updates a changed job in place (same id) and resets fields the file leaves out to their defaults', async () => {
    const a = await s.tenant();
    const first = (await api(a).put('/sync', { jobs: [{ ...backup, method: 'GET', headers: { A: '1' }, enabled: false }] })).body.jobs[0];
    expect(first).toMatchObject({ method: 'GET', headers: { A: '1' }, enabled: false });
    const second = await api(a).put('/sync', { jobs: [{ ...backup, cron: '30 6 * * *' }] });
    expect(second.body.updated).toEqual(['daily-backup']);
    // enabled left out leaves the state as it is; method and headers take their defaults.
    expect(second.body.jobs[0]).toMatchObject({ id: first.id, cron: '30 6 * * *', method: 'POST', headers: {}, enabled: false });
  });

  it('refuses a bad file naming the entry, and writes nothing of it', async () => {
    const a = await s.tenant();
    const cases: Array<[unknown, number, string, string | RegExp]> = [
      [{ jobs: [backup, { ...backup, key: 'b', cron: '* * * *' }] }, 400, 'invalid_cron', /^jobs\[1\]\.cron: Invalid cron expression: '\* \* \* \*' \(expected 5 fields/],
      [{ jobs: [backup, backup] }, 400, 'invalid_argument', "jobs[1].key: 'daily-backup' is also the key of jobs[0]"],
      [{ jobs: [{ key: 'k', url: 'https://myapp.com/k' }] }, 400, 'invalid_argument', 'jobs[0].cron: is required'],
      [{ jobs: [{ ...backup, run_at: later() }] }, 400, 'invalid_argument', 'jobs[0].run_at: PUT /sync manages recurring jobs (cron) only; create one-time jobs with POST /jobs'],
      [{ jobs: [{ ...backup, url: 'ftp://myapp.com/x' }] }, 400, 'invalid_url', /^jobs\[0\]\.url: Invalid URL 'ftp:\/\/myapp.com\/x'/],
      [{ jobs: [{ ...backup, key: 'has space' }] }, 400, 'invalid_argument', /^jobs\[0\]\.key: use letters, digits/],
      [{ jobs: [backup], notifications: { email: 'nope' } }, 400, 'invalid_argument', 'notifications.email: must be an email address'],
      [{ jobs: [backup], notifications: { webhook_url: 'mailto:x@y.z' } }, 400, 'invalid_url', /^notifications\.webhook_url: Invalid URL 'mailto:x@y.z'/],
      [{ jobs: [backup], notifications: { slack: 'x' } }, 400, 'invalid_argument', 'Unknown field: notifications.slack'],
      [{ jobs: {} }, 400, 'invalid_argument', 'jobs: must be an array of jobs'],
    ];
    for (const [body, status, code, message] of cases) {
      const res = await api(a).put('/sync', body);
      expect([JSON.stringify(body), res.status, res.body.error?.code]).toEqual([JSON.stringify(body), status, code]);
      if (typeof message === 'string') expect(res.body.error.message).toBe(message);
      else expect(res.body.error.message).toMatch(message);
    }
    expect((await core().schedules.list(a.actor)).items).toEqual([]);
    expect((await core().projects.get(a.principal, a.projectId)).notifyEmail).toBeNull();
  });

  it('needs write:projects only when the file names notifications, and shows them only to a key that may read them', async () => {
    const a = await s.tenant();
    const jobsOnly = await s.keyWith(a, ['write:jobs']);
    const withNotifications = await call(s.url, 'PUT', '/sync', { key: jobsOnly, json: { jobs: [backup], notifications: { email: 'a@myapp.com' } } });
    expectError(withNotifications, 403, 'permission_denied', "This key lacks the 'write:projects' scope");
    expect((await core().schedules.list(a.actor)).items).toEqual([]);
    const jobs = await call(s.url, 'PUT', '/sync', { key: jobsOnly, json: { jobs: [backup] } });
    expect(jobs.status).toBe(200);
    expect(jobs.body.notifications).toBeUndefined();
    expect((await api(a).put('/sync', { jobs: [backup] })).body.notifications).toEqual({ email: null, webhook_url: null });
  });
});

describe('GET and PUT /project', () => {
  it('changes only the settings named, disables one set to null, and reports what changed', async () => {
    const a = await s.tenant();
    const set = await api(a).put('/project', { notifications: { email: 'ops@myapp.com', webhook_url: 'https://discord.com/api/webhooks/1/x' } });
    expect(set.body.changes).toEqual({
      'notifications.email': { from: null, to: 'ops@myapp.com' },
      'notifications.webhook_url': { from: null, to: 'https://discord.com/api/webhooks/1/x' },
    });
    const emailOnly = await api(a).put('/project', { notifications: { email: 'team@myapp.com' } });
    expect(emailOnly.body).toEqual({
      notifications: { email: 'team@myapp.com', webhook_url: 'https://discord.com/api/webhooks/1/x' },
      changes: { 'notifications.email': { from: 'ops@myapp.com', to: 'team@myapp.com' } },
    });
    const disabled = await api(a).put('/project', { notifications: { webhook_url: null } });
    expect(disabled.body.changes).toEqual({ 'notifications.webhook_url': { from: 'https://discord.com/api/webhooks/1/x', to: null } });
    expect((await api(a).put('/project', {})).body.changes).toEqual({});
    expect((await api(a).get('/project')).body).toEqual({ notifications: { email: 'team@myapp.com', webhook_url: null } });
    expect(await core().projects.get(a.principal, a.projectId)).toMatchObject({ notifyEmail: 'team@myapp.com', notifyWebhookUrl: null });
  });

  it('answers 400 naming the setting for a bad email or URL, and changes nothing', async () => {
    const a = await s.tenant();
    expectError(await api(a).put('/project', { notifications: { email: 'x' } }), 400, 'invalid_argument', 'notifications.email: must be an email address');
    expectError(await api(a).put('/project', { notifications: { webhook_url: 'hooks' } }), 400, 'invalid_url', /^notifications\.webhook_url: Invalid URL 'hooks'/);
    expect((await api(a).get('/project')).body).toEqual({ notifications: { email: null, webhook_url: null } });
  });
});
