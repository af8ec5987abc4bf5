import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { startHttpServer, type RunningHttpServer } from '../../../server/surfaces/http/server.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

/** Ping URLs with an exit status, and pings by the project's ping key and the monitor's key. */
let t: TestCore;
let a: TestTenant;
let http: RunningHttpServer;
let base: string;
let pingKey: string;

interface ErrorBody {
  error: { code: string; message: string };
}
const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;
const pingsOf = async (id: string) => (await t.core.monitors.listPings(a.actor, id)).items;

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant();
  pingKey = await t.core.projects.getPingKey(a.principal, a.projectId);
  http = await startHttpServer({ core: t.core, db: t.database.db, logger: createLogger('silent'), port: 0, host: '127.0.0.1', mode: 'postgres' });
  base = `http://127.0.0.1:${http.port}`;
});
afterAll(async () => {
  await http?.close();
  await t?.close();
});

describe('ping URLs with an exit status', () => {
  it('count status 0 as a success and a non-zero status as a fail, storing the status', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    expect(await (await fetch(`${base}/ping/${m.pingToken}/0`)).json()).toEqual({ ok: true, status: 'up' });
    expect(await (await fetch(`${base}/ping/${m.pingToken}/3`, { method: 'POST', body: 'exit 3' })).json()).toEqual({ ok: true, status: 'down' });
    const [fail, ok] = await pingsOf(m.id);
    expect(fail).toMatchObject({ kind: 'fail', exitStatus: 3, body: 'exit 3' });
    expect(ok).toMatchObject({ kind: 'success', exitStatus: 0 });
    expect((await fetch(`${base}/ping/${m.pingToken}/255`, { method: 'HEAD' })).status).toBe(200);
    expect((await pingsOf(m.id))[0]).toMatchObject({ kind: 'fail', exitStatus: 255 });
  });

  it('refuse a status outside 0-255 or an unknown signal with 400 and record nothing', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    for (const seg of ['256', '-1', '1000', 'finish']) {
      const res = await fetch(`${base}/ping/${m.pingToken}/${seg}`);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).message).toMatch(/use start, fail, or an exit status from 0 to 255$/);
    }
    expect(await pingsOf(m.id)).toEqual([]);
  });

  it('answer 404 for an unknown token with a status, and for a token followed by two segments', async () => {
    const m = await t.core.monitors.create(a.actor, { periodSeconds: 60 });
    expect((await fetch(`${base}/ping/${'b'.repeat(24)}/1`)).status).toBe(404);
    const extra = await fetch(`${base}/ping/${m.pingToken}/start/now`);
    expect(extra.status).toBe(404);
    expect((await errorOf(extra)).code).toBe('not_found');
    expect(await pingsOf(m.id)).toEqual([]);
  });
});

describe('ping URLs by ping key and monitor key', () => {
  it('ping a monitor by its key with every signal, by GET, POST or HEAD', async () => {
    const m = await t.core.monitors.create(a.actor, { key: 'nightly-backup', periodSeconds: 60 });
    expect(await (await fetch(`${base}/ping/${pingKey}/nightly-backup`)).json()).toEqual({ ok: true, status: 'up' });
    expect((await fetch(`${base}/ping/${pingKey}/nightly-backup/start`, { method: 'HEAD' })).status).toBe(200);
    expect(await (await fetch(`${base}/ping/${pingKey}/nightly-backup/fail`, { method: 'POST', body: 'disk full' })).json()).toEqual({ ok: true, status: 'down' });
    expect(await (await fetch(`${base}/ping/${pingKey}/nightly-backup/0`)).json()).toEqual({ ok: true, status: 'up' });
    expect(await (await fetch(`${base}/ping/${pingKey}/nightly-backup/2`)).json()).toEqual({ ok: true, status: 'down' });
    const pings = await pingsOf(m.id);
    expect(pings.map((p) => [p.kind, p.exitStatus])).toEqual([
      ['fail', 2],
      ['success', 0],
      ['fail', null],
      ['start', null],
      ['success', null],
    ]);
    expect(pings[2].body).toBe('disk full');
  });

  it('tell a monitor key named like a signal from the signal by the first segment', async () => {
    const m = await t.core.monitors.create(a.actor, { key: 'start', periodSeconds: 60 });
    expect((await fetch(`${base}/ping/${pingKey}/start`)).status).toBe(200);
    expect((await pingsOf(m.id)).map((p) => p.kind)).toEqual(['success']);
  });

  it('answer 404 for an unknown monitor key, an unknown or rotated ping key, and a ping key alone', async () => {
    await t.core.monitors.create(a.actor, { key: 'hourly', periodSeconds: 60 });
    const unknown = await fetch(`${base}/ping/${pingKey}/no-such-monitor`);
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('not_found');
    expect((await fetch(`${base}/ping/pk_${'c'.repeat(24)}/hourly`)).status).toBe(404);
    expect((await fetch(`${base}/ping/${pingKey}`)).status).toBe(404);

    const b = await t.tenant('rotating');
    const old = await t.core.projects.getPingKey(b.principal, b.projectId);
    await t.core.monitors.create(b.actor, { key: 'hourly', periodSeconds: 60 });
    expect((await fetch(`${base}/ping/${old}/hourly`)).status).toBe(200);
    const fresh = await t.core.projects.rotatePingKey(b.principal, b.projectId);
    expect((await fetch(`${base}/ping/${old}/hourly`)).status).toBe(404);
    expect((await fetch(`${base}/ping/${fresh}/hourly`)).status).toBe(200);
  });

  it('refuse a bad signal with 400 before looking the monitor up', async () => {
    const res = await fetch(`${base}/ping/${pingKey}/whatever/300`);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_argument');
  });

  it('create the monitor on its first ping with ?create=1, and only then', async () => {
    expect((await fetch(`${base}/ping/${pingKey}/made-by-ping`)).status).toBe(404);
    const res = await fetch(`${base}/ping/${pingKey}/made-by-ping/start?create=1`, { method: 'POST', body: 'hello' });
    expect(res.status).toBe(200);
    const made = (await t.core.monitors.list(a.actor, { pageSize: 100 })).items.find((m) => m.key === 'made-by-ping');
    expect(made).toMatchObject({ name: 'made-by-ping', periodSeconds: 86_400, pingCount: 1 });
    // Once made, later pings find it with or without the flag; no second monitor is made.
    expect((await fetch(`${base}/ping/${pingKey}/made-by-ping/0?create=1`)).status).toBe(200);
    expect((await fetch(`${base}/ping/${pingKey}/made-by-ping`)).status).toBe(200);
    const all = (await t.core.monitors.list(a.actor, { pageSize: 100 })).items.filter((m) => m.key === 'made-by-ping');
    expect(all).toHaveLength(1);
    expect((await pingsOf(made!.id)).map((p) => p.kind)).toEqual(['success', 'success', 'start']);
  });

  it('refuse to create a monitor whose key is not a valid key, and a create flag that is not 1 or 0', async () => {
    const bad = await fetch(`${base}/ping/${pingKey}/${encodeURIComponent('-bad key')}?create=1`);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toMatch(/^key: /);
    const flag = await fetch(`${base}/ping/${pingKey}/flagged?create=yes`);
    expect(flag.status).toBe(400);
    expect((await errorOf(flag)).message).toBe('create: must be 1 or 0');
    expect((await t.core.monitors.list(a.actor, { pageSize: 100 })).items.some((m) => m.key === 'flagged')).toBe(false);
  });

  it('answer 405 for other methods on the key form', async () => {
    const res = await fetch(`${base}/ping/${pingKey}/nightly-backup/fail`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST, HEAD');
  });
});
