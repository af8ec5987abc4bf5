import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError, type TockClient } from '../../../client/src/index.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { startTrpcServer, type TrpcServer } from './harness.js';

let t: TestCore;
let a: TestTenant;
let b: TestTenant;
let srv: TrpcServer;
let tock: TockClient;

beforeAll(async () => {
  t = await createTestCore({ publicUrl: 'https://tock.example' });
  a = await t.tenant('a');
  b = await t.tenant('b');
  srv = await startTrpcServer(t);
  tock = srv.client(a.secret);
});
afterAll(async () => {
  await srv?.close();
  await t?.close();
});

describe('monitors over tRPC', () => {
  it('creates a monitor with its ping URL and without the bare token or shard', async () => {
    const m = await tock.monitors.create({ name: 'backup', periodSeconds: 3600, graceSeconds: 300 });
    expect(m).toMatchObject({ name: 'backup', periodSeconds: 3600, graceSeconds: 300, status: 'new', pingCount: 0, lastPingAt: null });
    expect(m.pingUrl).toMatch(/^https:\/\/tock\.example\/ping\/[0-9A-Za-z]{16,64}$/);
    expect(m).not.toHaveProperty('pingToken');
    expect(m).not.toHaveProperty('shard');
    expect(m.createdAt).toBeInstanceOf(Date);
    expect(await tock.monitors.get(m.id)).toEqual(m);
  });

  it('updates a monitor: cron replaces the period, null clears the alert email', async () => {
    const m = await tock.monitors.create({ periodSeconds: 60, alertEmail: 'ops@example.com' });
    const updated = await tock.monitors.update(m.id, { cron: '0 3 * * *', alertEmail: null });
    expect(updated).toMatchObject({ cron: '0 3 * * *', periodSeconds: null, alertEmail: null, pingUrl: m.pingUrl });
  });

  it('records success, start and fail pings through the API and moves the status', async () => {
    const m = await tock.monitors.create({ periodSeconds: 600 });
    const up = await tock.monitors.recordPing(m.id);
    expect(up.status).toBe('up');
    expect(up.pingCount).toBe(1);
    expect(up.lastPingAt).toBeInstanceOf(Date);
    expect(up.nextDeadlineAt!.getTime()).toBeGreaterThan(up.lastPingAt!.getTime());
    const started = await tock.monitors.recordPing(m.id, 'start');
    expect(started.status).toBe('up');
    expect(started.lastStartAt).toBeInstanceOf(Date);
    const down = await tock.monitors.recordPing(m.id, 'fail', { body: 'exit code 3' });
    expect(down).toMatchObject({ status: 'down', pingCount: 3, nextDeadlineAt: null });
    const rows = await t.database.db.execute<{ kind: string; body: string | null }>('select kind, body from pings where monitor_id = ? order by id', [m.id]);
    expect(rows).toEqual([
      { kind: 'success', body: null },
      { kind: 'start', body: null },
      { kind: 'fail', body: 'exit code 3' },
    ]);
  });

  it('rejects an unknown ping kind with the kind field named', async () => {
    const m = await tock.monitors.create({ periodSeconds: 60 });
    const err = await tock.monitors.recordPing(m.id, 'late' as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field: 'kind', message: 'kind: must be one of success, start, fail' });
  });

  it('pauses and resumes a monitor', async () => {
    const m = await tock.monitors.create({ periodSeconds: 60 });
    await tock.monitors.recordPing(m.id);
    const paused = await tock.monitors.pause(m.id);
    expect(paused).toMatchObject({ status: 'paused', nextDeadlineAt: null });
    expect((await tock.monitors.resume(m.id)).status).toBe('new');
  });

  it('lists and iterates monitors, and deletes one', async () => {
    const t2 = await t.tenant('lists');
    const client = srv.client(t2.secret);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.monitors.create({ key: `m${i}`, periodSeconds: 60 })).id);
    expect((await client.monitors.list({ pageSize: 2 })).items.map((m) => m.key)).toEqual(['m0', 'm1']);
    const seen: string[] = [];
    for await (const m of client.monitors.iterate({ pageSize: 2 })) seen.push(m.id);
    expect(seen).toEqual(ids);
    await client.monitors.delete(ids[0]);
    await expect(client.monitors.get(ids[0])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rejects a monitor with both a period and a cron', async () => {
    await expect(tock.monitors.create({ periodSeconds: 60, cron: '* * * * *' })).rejects.toMatchObject({ field: 'cron', status: 400 });
  });

  it('answers NotFoundError for another tenant’s monitor on every operation', async () => {
    const theirs = await t.core.monitors.create(b.actor, { periodSeconds: 60 });
    await expect(tock.monitors.get(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tock.monitors.update(theirs.id, { name: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(tock.monitors.recordPing(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tock.monitors.pause(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tock.monitors.delete(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await t.core.monitors.get(b.actor, theirs.id)).pingCount).toBe(0);
  });
});
