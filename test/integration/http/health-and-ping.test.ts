import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { startHttpServer, type RunningHttpServer } from '../../../server/surfaces/http/server.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

let t: TestCore;
let a: TestTenant;
let http: RunningHttpServer;
let base: string;

interface ErrorBody {
  error: { code: string; message: string };
}
const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant();
  http = await startHttpServer({ core: t.core, db: t.database.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1', mode: 'postgres' });
  base = `http://127.0.0.1:${http.port}`;
});
afterAll(async () => {
  await http.close();
});

describe('health', () => {
  it('answers 200 with status ok while the database answers', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'ok', mode: 'postgres' });
  });
});

describe('monitor ping URLs', () => {
  it('record success, start and fail pings by token, by GET or POST', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    expect((await fetch(`${base}/ping/${m.pingToken}`)).status).toBe(200);
    expect(await (await fetch(`${base}/ping/${m.pingToken}/start`, { method: 'POST', body: 'starting' })).json()).toEqual({ ok: true, status: 'up' });
    const fail = await fetch(`${base}/ping/${m.pingToken}/fail`, { method: 'POST', body: 'exit 1' });
    expect(await fail.json()).toEqual({ ok: true, status: 'down' });
    expect((await t.core.monitors.get(a.actor, m.id)).pingCount).toBe(3);
  });

  it('answer 404 for an unknown token and 405 for other methods', async () => {
    const res = await fetch(`${base}/ping/${'a'.repeat(24)}`);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('not_found');
    expect((await fetch(`${base}/ping/${'a'.repeat(24)}`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${base}/ping/%E0%A4%A`)).status).toBe(404);
  });

  it('refuse a body over the limit with 413 and keep serving', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    const res = await fetch(`${base}/ping/${m.pingToken}`, { method: 'POST', body: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('health without a database', () => {
  it('answers 503 once the database is gone', async () => {
    await t.close();
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unavailable', database: 'unreachable' });
  });
});

describe('sign-up', () => {
  it('is closed unless TOCK_OPEN_SIGNUP is on, and then makes a working account once per email', async () => {
    const core = await createTestCore();
    const closed = await startHttpServer({ core: core.core, db: core.database.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1', mode: 'postgres' });
    const open = await startHttpServer({ core: core.core, db: core.database.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1', mode: 'postgres', openSignup: true });
    try {
      const post = (port: number, body: string) =>
        fetch(`http://127.0.0.1:${port}/signup`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      const refused = await post(closed.port, JSON.stringify({ email: 'a@example.com' }));
      expect(refused.status).toBe(403);
      expect((await errorOf(refused)).code).toBe('signup_closed');

      const made = await post(open.port, JSON.stringify({ email: 'a@example.com', name: 'A' }));
      expect(made.status).toBe(201);
      const body = (await made.json()) as { api_key: string; project_id: string };
      const principal = await core.core.authenticate(body.api_key);
      expect((await core.core.actor(principal)).projectId).toBe(body.project_id);

      const again = await post(open.port, JSON.stringify({ email: 'A@example.com' }));
      expect(again.status).toBe(409);
      expect((await errorOf(again)).message).toBe("An account with email 'A@example.com' already exists");

      const bad = await post(open.port, '{"email": "nope"}');
      expect(bad.status).toBe(400);
      expect((await errorOf(bad)).message).toBe('email: must be an email address');
      expect((await post(open.port, '{not json')).status).toBe(400);
    } finally {
      await closed.close();
      await open.close();
      await core.close();
    }
  });
});
