import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailedPreconditionError, NotFoundError } from '../../../server/core/errors.js';
import type { Waker } from '../../../server/core/wake.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';
import { insertExecution } from '../../e2e/trpc/harness.js';

/**
 * Deleting a project takes everything in it, cancels the runs the timer holds unsent, and keeps
 * the account's last project unless the caller allows deleting it.
 */
let t: TestCore;
const cancelledTold: string[] = [];
const waker: Waker = { wake: () => {}, cancelled: (_kind, _shard, id) => void cancelledTold.push(id) };

beforeAll(async () => {
  t = await createTestCore({ waker });
});
afterAll(() => t.close());

const count = async (sql: string, params: unknown[]) => Number((await t.database.db.execute<{ n: number }>(sql, params))[0].n);

describe('deleting a project', () => {
  it('removes its schedules, jobs, executions, monitors, pings and flips, and tells the timer which runs were not sent', async () => {
    const a = await t.tenant('a');
    const doomed = await t.core.projects.create(a.principal, { name: 'doomed', url: 'https://example.com' });
    const actor = await t.core.actor(a.principal, doomed.id);
    const s = await t.core.schedules.create(actor, { url: 'https://example.com/x', cron: '0 0 1 1 *' }, { heartbeat: { graceSeconds: 60 } });
    const done = await t.core.schedules.trigger(actor, s.id);
    await t.database.db.execute(`update jobs set status = 'succeeded', next_attempt_at = null, finished_at = now() where id = ?`, [done.id]);
    await insertExecution(t, done, 1);
    const pending = await t.core.schedules.trigger(actor, s.id);
    const claimed = await t.core.schedules.trigger(actor, s.id);
    await t.database.db.execute(`update jobs set status = 'running', attempts = 1, lease_epoch = 1 where id = ?`, [claimed.id]);
    const sent = await t.core.schedules.trigger(actor, s.id);
    await t.database.db.execute(`update jobs set status = 'running', attempts = 1, lease_epoch = 1, dispatched_at = now() where id = ?`, [sent.id]);
    const m = await t.core.monitors.create(actor, { name: 'own', periodSeconds: 60 });
    await t.core.monitors.pingByToken(m.pingToken);
    const kept = await t.core.schedules.create(a.actor, { url: 'https://example.com/kept', cron: '0 0 1 1 *' });

    await t.core.projects.delete(a.principal, doomed.id);

    const p = [doomed.id];
    expect(await count('select count(*)::int as n from schedules where project_id = ?', p)).toBe(0);
    expect(await count('select count(*)::int as n from jobs where project_id = ?', p)).toBe(0);
    expect(await count('select count(*)::int as n from executions where project_id = ?', p)).toBe(0);
    expect(await count('select count(*)::int as n from monitors where project_id = ?', p)).toBe(0);
    expect(await count('select count(*)::int as n from pings where monitor_id = ?', [m.id])).toBe(0);
    expect(await count('select count(*)::int as n from flips where project_id = ?', p)).toBe(0);
    expect(cancelledTold).toEqual(expect.arrayContaining([pending.id, claimed.id]));
    expect(cancelledTold).not.toContain(sent.id);
    expect(cancelledTold).not.toContain(done.id);
    expect((await t.core.schedules.get(a.actor, kept.id)).id).toBe(kept.id);
    await expect(t.core.actor(a.principal, doomed.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses the account's last project by default, and with allowLast leaves the account without one", async () => {
    const b = await t.tenant('b');
    await expect(t.core.projects.delete(b.principal, b.projectId)).rejects.toBeInstanceOf(FailedPreconditionError);
    await t.core.projects.delete(b.principal, b.projectId, { allowLast: true });
    expect((await t.core.projects.list(b.principal)).items).toEqual([]);
    await expect(t.core.actor(b.principal)).rejects.toThrow(/no project; create one first/);
    const fresh = await t.core.projects.create(b.principal, { name: 'again' });
    expect((await t.core.actor(b.principal)).projectId).toBe(fresh.id);
  });

  it('of the last two projects at once lets exactly one through', async () => {
    const c = await t.tenant('c');
    const second = await t.core.projects.create(c.principal, { name: 'second' });
    const results = await Promise.allSettled([t.core.projects.delete(c.principal, c.projectId), t.core.projects.delete(c.principal, second.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(FailedPreconditionError);
    expect((await t.core.projects.list(c.principal)).items).toHaveLength(1);
  });
});
