import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idOfUuid, newId, uuidOfId } from '../../../../server/core/ids.js';
import type { Actor } from '../../../../server/core/types.js';
import { startKrafterWorld, TIME, until, UUID, type KrafterWorld } from './harness.js';

/**
 * What the Krafter dialect means, against a real Tock: ids are the UUIDs inside Tock's ids, the
 * document's fields and defaults land on the schedule as stated, interval presets read back
 * canonically, trigger runs now without moving the next run, pause and resume, and the
 * conventional endpoints the document leaves out (list, get, PUT, PATCH, delete).
 */
let w: KrafterWorld;
let admin: Actor;

const BASE = '/api/v1/cron/jobs';
const job = (over: Record<string, unknown> = {}) => ({
  name: 'Nightly',
  schedule_type: 'interval',
  schedule: 'every_1h',
  url: 'https://example.com/hook',
  ...over,
});
/** The schedule behind a Krafter job id, read through the core. */
const stored = (uuid: string, actor: Actor = admin) => w.tock.core.schedules.get(actor, idOfUuid('schedule', uuid)!);

beforeAll(async () => {
  w = await startKrafterWorld();
  admin = await w.tock.core.actor(await w.tock.core.authenticate(w.key));
});
afterAll(async () => {
  await w?.close();
});

describe('ids', () => {
  it("are the UUID inside the schedule's Tock id, and that UUID finds the same schedule", async () => {
    const res = await w.call('POST', BASE, { body: job() });
    expect(res.status).toBe(201);
    const id: string = res.json.data.id;
    expect(id).toMatch(UUID);
    const s = await stored(id);
    expect(s.id).toMatch(/^sched_/);
    expect(uuidOfId(s.id)).toBe(id);
    expect((await w.call('GET', `${BASE}/${id}`)).json.data).toEqual(res.json.data);
  });

  it('accept a UUID in capitals as the same job; a malformed or unknown UUID answers 404 naming it', async () => {
    const { id } = (await w.call('POST', BASE, { body: job() })).json.data;
    const upper = await w.call('GET', `${BASE}/${id.toUpperCase()}`);
    expect(upper.status).toBe(200);
    expect(upper.json.data.id).toBe(id);

    const malformed = await w.call('POST', `${BASE}/not-a-uuid/trigger`);
    expect(malformed.status).toBe(404);
    expect(malformed.json).toEqual({ error: { code: 'not_found', message: "No cron job with id 'not-a-uuid'" } });

    const unknown = uuidOfId(newId('schedule'));
    const missing = await w.call('GET', `${BASE}/${unknown}`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: { code: 'not_found', message: `No cron job with id '${unknown}'` } });
  });
});

describe('fields and defaults', () => {
  it('store what the document states when a create leaves fields out, and answer them', async () => {
    const res = await w.call('POST', BASE, { body: { name: 'Bare', schedule_type: 'interval', schedule: 'every_5m', url: 'https://example.com/bare' } });
    expect(res.status).toBe(201);
    expect(res.json.data).toMatchObject({ timezone: 'UTC', headers: {}, timeout_ms: 30000, max_retries: 3, enabled: true, failure_notify: false, method: 'POST' });
    const s = await stored(res.json.data.id);
    expect(s).toMatchObject({
      intervalSeconds: 300,
      cron: null,
      timezone: 'UTC',
      headers: {},
      timeoutMs: 30000,
      maxRetries: 3,
      state: 'active',
      alertOnFailure: false,
      alertOnRecovery: false,
      method: 'POST',
    });
  });

  it('map a cron job with every field onto the schedule: enabled is the state, failure_notify both failure and recovery alerts', async () => {
    const body = {
      name: 'Weekly report',
      schedule_type: 'cron',
      schedule: '0  9 * * 1',
      timezone: 'Europe/Riga',
      url: 'https://example.com/report',
      method: 'put',
      headers: { 'X-Token': 'abc' },
      timeout_ms: 5000,
      max_retries: 0,
      enabled: false,
      failure_notify: true,
    };
    const res = await w.call('POST', BASE, { body });
    expect(res.status).toBe(201);
    expect(res.json.data).toMatchObject({
      name: 'Weekly report',
      schedule_type: 'cron',
      schedule: '0 9 * * 1',
      timezone: 'Europe/Riga',
      method: 'PUT',
      headers: { 'X-Token': 'abc' },
      timeout_ms: 5000,
      max_retries: 0,
      enabled: false,
      failure_notify: true,
      next_run_at: null,
      last_status: null,
      last_run_at: null,
    });
    expect(res.json.data.created_at).toMatch(TIME);
    expect(await stored(res.json.data.id)).toMatchObject({
      cron: '0 9 * * 1',
      intervalSeconds: null,
      timezone: 'Europe/Riga',
      state: 'paused',
      nextRunAt: null,
      alertOnFailure: true,
      alertOnRecovery: true,
      timeoutMs: 5000,
      maxRetries: 0,
      headers: { 'X-Token': 'abc' },
    });
  });

  it('read interval presets back in the largest unit that divides them', async () => {
    const cases: Array<[string, number, string]> = [
      ['every_5m', 300, 'every_5m'],
      ['every_90s', 90, 'every_90s'],
      ['every_120s', 120, 'every_2m'],
      ['every_60m', 3600, 'every_1h'],
      ['every_36h', 129_600, 'every_36h'],
      ['every_1d', 86_400, 'every_1d'],
      ['every_48h', 172_800, 'every_2d'],
    ];
    for (const [given, seconds, shown] of cases) {
      const res = await w.call('POST', BASE, { body: job({ schedule: given }) });
      expect(res.status, given).toBe(201);
      expect(res.json.data.schedule, given).toBe(shown);
      expect((await stored(res.json.data.id)).intervalSeconds, given).toBe(seconds);
      const next = Date.parse(res.json.data.next_run_at) - Date.parse(res.json.data.created_at);
      expect(Math.abs(next - seconds * 1000), given).toBeLessThanOrEqual(1000);
    }
  });
});

describe('trigger, pause and resume', () => {
  it('trigger runs the call now, records the execution with its response, and leaves next_run_at alone', async () => {
    const created = (await w.call('POST', BASE, { body: job({ url: `${w.receiver.url}/trigger-me`, method: 'GET' }) })).json.data;
    const trigger = await w.call('POST', `${BASE}/${created.id}/trigger`);
    expect(trigger.status).toBe(200);
    expect(trigger.json).toEqual({ ok: true });
    await until(() => w.receiver.to('/trigger-me').length === 1, { timeoutMs: 15_000 });
    expect(w.receiver.to('/trigger-me')[0].method).toBe('GET');

    let after = created;
    await until(
      async () => {
        after = (await w.call('GET', `${BASE}/${created.id}`)).json.data;
        return after.last_status !== null;
      },
      { timeoutMs: 15_000, message: 'last_status never set' },
    );
    expect(after.next_run_at).toBe(created.next_run_at);
    expect(after.last_status).toBe('success');
    expect(after.last_run_at).toMatch(TIME);
    const executions = (await w.call('GET', `${BASE}/${created.id}/executions`)).json.data;
    expect(executions).toEqual([
      {
        id: expect.stringMatching(UUID),
        status: 'success',
        http_status: 200,
        response_body: '{"status":"ok"}',
        error: null,
        attempt: 1,
        duration_ms: expect.any(Number),
        started_at: expect.stringMatching(TIME),
        finished_at: expect.stringMatching(TIME),
      },
    ]);
    // The execution's UUID is the one inside its Tock id.
    const history = await w.tock.core.schedules.listExecutions(admin, idOfUuid('schedule', created.id)!);
    expect(history.items.map((e) => uuidOfId(e.id))).toEqual([executions[0].id]);
  });

  it('a failed run reads as failed, with the status code, and last_status failed', async () => {
    w.receiver.respond((req, res) => (req.url === '/broken' ? res.writeHead(500).end('down') : res.writeHead(200).end('{"status":"ok"}')));
    try {
      const { id } = (await w.call('POST', BASE, { body: job({ url: `${w.receiver.url}/broken`, max_retries: 0 }) })).json.data;
      await w.call('POST', `${BASE}/${id}/trigger`);
      let last: any = null;
      await until(
        async () => {
          last = (await w.call('GET', `${BASE}/${id}`)).json.data;
          return last.last_status !== null;
        },
        { timeoutMs: 15_000 },
      );
      expect(last.last_status).toBe('failed');
      const [e] = (await w.call('GET', `${BASE}/${id}/executions`)).json.data;
      expect(e).toMatchObject({ status: 'failed', http_status: 500, response_body: 'down', attempt: 1 });
      expect(e.error).toEqual(expect.any(String));
    } finally {
      w.receiver.respond((_req, res) => res.writeHead(200).end('{"status":"ok"}'));
    }
  });

  it('pause stops future runs (no next_run_at) and says so; resume schedules the next run from now; both are idempotent', async () => {
    const { id, next_run_at } = (await w.call('POST', BASE, { body: job({ name: 'Pausable' }) })).json.data;
    expect(next_run_at).toMatch(TIME);
    for (let i = 0; i < 2; i++) {
      const paused = await w.call('POST', `${BASE}/${id}/pause`);
      expect(paused.status).toBe(200);
      expect(paused.json).toEqual({ data: { id, name: 'Pausable', enabled: false } });
    }
    const got = (await w.call('GET', `${BASE}/${id}`)).json.data;
    expect(got).toMatchObject({ enabled: false, next_run_at: null });
    expect((await stored(id)).state).toBe('paused');

    const before = Date.now();
    for (let i = 0; i < 2; i++) {
      const resumed = await w.call('POST', `${BASE}/${id}/resume`);
      expect(resumed.json).toEqual({ data: { id, name: 'Pausable', enabled: true } });
    }
    const back = (await w.call('GET', `${BASE}/${id}`)).json.data;
    expect(back.enabled).toBe(true);
    expect(Date.parse(back.next_run_at)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3_600_000 - 1000);
  });

  it('the bodiless actions take an empty body sent as application/json, as clients that always set it send them', async () => {
    const { id } = (await w.call('POST', BASE, { body: job({ name: 'Always JSON', url: `${w.receiver.url}/always-json` }) })).json.data;
    const asJson = { body: '', headers: { 'content-type': 'application/json' } };
    expect((await w.call('POST', `${BASE}/${id}/pause`, asJson)).json).toEqual({ data: { id, name: 'Always JSON', enabled: false } });
    expect((await w.call('POST', `${BASE}/${id}/resume`, asJson)).json).toEqual({ data: { id, name: 'Always JSON', enabled: true } });
    expect((await w.call('POST', `${BASE}/${id}/trigger`, asJson)).json).toEqual({ ok: true });
    await until(() => w.receiver.to('/always-json').length === 1, { timeoutMs: 15_000 });
    expect((await w.call('DELETE', `${BASE}/${id}`, asJson)).json).toEqual({ data: { id, deleted: true } });
  });

  it('trigger of a paused job runs it once and leaves it paused', async () => {
    const { id } = (await w.call('POST', BASE, { body: job({ url: `${w.receiver.url}/paused-run`, enabled: false }) })).json.data;
    expect((await w.call('POST', `${BASE}/${id}/trigger`)).json).toEqual({ ok: true });
    await until(() => w.receiver.to('/paused-run').length === 1, { timeoutMs: 15_000 });
    expect((await w.call('GET', `${BASE}/${id}`)).json.data).toMatchObject({ enabled: false, next_run_at: null });
  });
});

describe('list, get, update and delete (not in the document)', () => {
  it('list pages oldest first with limit, the next page named by a Link header, and filters by enabled', async () => {
    const t = await w.tenant('lister');
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) ids.push((await w.call('POST', BASE, { key: t.key, body: job({ name, enabled: name !== 'b' }) })).json.data.id);

    const first = await w.call('GET', `${BASE}?limit=2`, { key: t.key });
    expect(first.status).toBe(200);
    expect(first.json.data.map((j: { id: string }) => j.id)).toEqual(ids.slice(0, 2));
    const link = first.headers.get('link');
    expect(link).toMatch(/^<\/api\/v1\/cron\/jobs\?limit=2&cursor=[^>]+>; rel="next"$/);
    const next = await w.call('GET', /^<([^>]+)>/.exec(link!)![1], { key: t.key });
    expect(next.json.data.map((j: { id: string }) => j.id)).toEqual(ids.slice(2));
    expect(next.headers.get('link')).toBeNull();

    expect((await w.call('GET', BASE, { key: t.key })).json.data).toHaveLength(3);
    expect((await w.call('GET', `${BASE}?enabled=false`, { key: t.key })).json.data.map((j: { name: string }) => j.name)).toEqual(['b']);
    expect((await w.call('GET', `${BASE}?enabled=true`, { key: t.key })).json.data.map((j: { name: string }) => j.name)).toEqual(['a', 'c']);
  });

  it('refuse a bad limit, cursor or enabled filter with a message naming the parameter', async () => {
    for (const [query, message] of [
      ['limit=0', /^query parameter limit: must be a whole number from 1$/],
      ['limit=abc', /^query parameter limit: must be a whole number from 1$/],
      ['cursor=bogus', /^cursor: pass back the cursor of the Link header/],
      ['enabled=maybe', /^query parameter enabled: must be 'true' or 'false'$/],
    ] as const) {
      const res = await w.call('GET', `${BASE}?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.json.error.message, query).toMatch(message);
    }
  });

  it('PUT replaces every field Krafter shows (left out: the documented defaults) and keeps what only Tock shows', async () => {
    const created = (
      await w.call('POST', BASE, {
        body: job({ schedule_type: 'cron', schedule: '0 3 * * *', timezone: 'Asia/Tokyo', headers: { A: '1' }, max_retries: 7, failure_notify: true, enabled: false }),
      })
    ).json.data;
    await w.tock.core.schedules.update(admin, idOfUuid('schedule', created.id)!, { body: '{"kept":true}' });

    const res = await w.call('PUT', `${BASE}/${created.id}`, { body: job({ name: 'Replaced' }) });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      id: created.id,
      name: 'Replaced',
      schedule_type: 'interval',
      schedule: 'every_1h',
      timezone: 'UTC',
      headers: {},
      max_retries: 3,
      timeout_ms: 30000,
      enabled: true,
      failure_notify: false,
      method: 'POST',
    });
    expect(res.json.data.next_run_at).toMatch(TIME);
    expect(await stored(created.id)).toMatchObject({ cron: null, intervalSeconds: 3600, body: '{"kept":true}', state: 'active', alertOnRecovery: false });

    // A job read with GET goes back as it is: its read-only fields are accepted and ignored.
    const got = (await w.call('GET', `${BASE}/${created.id}`)).json.data;
    const again = await w.call('PUT', `${BASE}/${created.id}`, { body: { ...got, id: uuidOfId(newId('schedule')), name: 'Round trip' } });
    expect(again.status).toBe(200);
    expect(again.json.data).toEqual({ ...got, name: 'Round trip', updated_at: expect.stringMatching(TIME) });

    const partial = await w.call('PUT', `${BASE}/${created.id}`, { body: { name: 'No trigger', url: 'https://example.com/x' } });
    expect(partial.status).toBe(400);
    expect(partial.json.error.message).toBe('schedule_type: is required');
  });

  it("PATCH changes only the given fields; schedule alone keeps its type, a new type needs its schedule", async () => {
    const created = (await w.call('POST', BASE, { body: job({ headers: { A: '1' }, timeout_ms: 1234 }) })).json.data;
    const path = `${BASE}/${created.id}`;

    const faster = await w.call('PATCH', path, { body: { schedule: 'every_10m' } });
    expect(faster.status).toBe(200);
    expect(faster.json.data).toMatchObject({ schedule_type: 'interval', schedule: 'every_10m', headers: { A: '1' }, timeout_ms: 1234, name: 'Nightly' });

    const typeOnly = await w.call('PATCH', path, { body: { schedule_type: 'cron' } });
    expect(typeOnly.status).toBe(400);
    expect(typeOnly.json.error).toEqual({ code: 'invalid_argument', message: "schedule: is required when schedule_type changes to 'cron'" });
    expect((await w.call('PATCH', path, { body: { schedule_type: 'interval' } })).json.data.schedule).toBe('every_10m');

    const toCron = await w.call('PATCH', path, { body: { schedule_type: 'cron', schedule: '30 6 * * *', timezone: 'America/New_York' } });
    expect(toCron.json.data).toMatchObject({ schedule_type: 'cron', schedule: '30 6 * * *', timezone: 'America/New_York' });
    expect(await stored(created.id)).toMatchObject({ cron: '30 6 * * *', intervalSeconds: null });

    const cronAsPreset = await w.call('PATCH', path, { body: { schedule: 'every_5m' } });
    expect(cronAsPreset.status).toBe(400);
    expect(cronAsPreset.json.error.message).toMatch(/^schedule: 'every_5m' is an interval preset: set schedule_type to 'interval'/);

    const off = await w.call('PATCH', path, { body: { enabled: false, failure_notify: true } });
    expect(off.json.data).toMatchObject({ enabled: false, next_run_at: null, failure_notify: true });
    expect(await stored(created.id)).toMatchObject({ state: 'paused', alertOnFailure: true, alertOnRecovery: true });

    const same = await w.call('PATCH', path, { body: {} });
    expect(same.status).toBe(200);
    expect({ ...same.json.data, updated_at: null }).toEqual({ ...off.json.data, updated_at: null });

    const cleared = await w.call('PATCH', path, { body: { timezone: null } });
    expect(cleared.status).toBe(400);
    expect(cleared.json.error.message).toBe('timezone: must be a string');
  });

  it('delete answers the id, after which the job is gone everywhere', async () => {
    const { id } = (await w.call('POST', BASE, { body: job() })).json.data;
    const res = await w.call('DELETE', `${BASE}/${id}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ data: { id, deleted: true } });
    expect((await w.call('GET', `${BASE}/${id}`)).status).toBe(404);
    expect((await w.call('DELETE', `${BASE}/${id}`)).status).toBe(404);
    await expect(stored(id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('are described in /openapi.json with the documented ones, under the krafter tag', async () => {
    const doc = (await w.call('GET', '/openapi.json', { key: null })).json;
    for (const [path, method] of [
      ['/api/v1/cron/jobs', 'post'],
      ['/api/v1/cron/jobs', 'get'],
      ['/api/v1/cron/jobs/{id}', 'patch'],
      ['/api/v1/cron/jobs/{id}', 'put'],
      ['/api/v1/cron/jobs/{id}', 'delete'],
      ['/api/v1/cron/jobs/{id}/executions', 'get'],
      ['/api/v1/cron/jobs/{id}/trigger', 'post'],
      ['/api/v1/cron/jobs/{id}/pause', 'post'],
      ['/api/v1/cron/jobs/{id}/resume', 'post'],
    ]) {
      expect(doc.paths[path]?.[method]?.tags, `${method} ${path}`).toEqual(['krafter']);
    }
    expect(Object.keys(doc.paths['/api/v1/cron/jobs'].post.requestBody.content['application/json'].schema.properties)).toContain('failure_notify');
  });
});
