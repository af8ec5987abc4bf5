import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitorLimitError } from '../../../server/core/errors.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';

/**
 * TOCK_MONITOR_LIMIT: monitors per account, over all its projects, enforced by the core on every
 * path that makes a monitor (create, declarative sync, the first ping by key), so every surface
 * refuses the same way.
 */
let limited: TestCore;
let open: TestCore;

beforeAll(async () => {
  limited = await createTestCore({ monitorLimit: 2 });
  open = await createTestCore({ database: limited.database });
});
afterAll(() => limited.close());

const countOf = async (t: TestCore, accountId: string) =>
  Number(
    (
      await t.database.db.execute<{ n: number }>(
        'select count(*)::int as n from monitors m join projects p on p.id = m.project_id where p.account_id = ?',
        [accountId],
      )
    )[0].n,
  );

describe('the monitor limit', () => {
  it('is reported by the core: the number, or null without one', () => {
    expect(limited.core.monitors.limit).toBe(2);
    expect(open.core.monitors.limit).toBeNull();
  });

  it('refuses the create past the limit with monitor_limit_reached (permission_denied), and a delete frees a slot', async () => {
    const a = await limited.tenant('a');
    const first = await limited.core.monitors.create(a.actor, { name: 'one', periodSeconds: 60 });
    await limited.core.monitors.create(a.actor, { name: 'two', periodSeconds: 60 });
    const err = await rejectionOf(limited.core.monitors.create(a.actor, { name: 'three', periodSeconds: 60 }));
    expect(err).toBeInstanceOf(MonitorLimitError);
    expect(err).toMatchObject({ code: 'monitor_limit_reached', category: 'permission_denied', limit: 2 });
    expect(err.message).toContain('Monitor limit reached (2)');
    expect(await countOf(limited, a.principal.accountId)).toBe(2);

    await limited.core.monitors.delete(a.actor, first.id);
    await expect(limited.core.monitors.create(a.actor, { name: 'three', periodSeconds: 60 })).resolves.toMatchObject({ name: 'three' });
  });

  it("counts every project of the account, and not other accounts' monitors", async () => {
    const a = await limited.tenant('projects');
    const b = await limited.tenant('other account');
    const second = await limited.core.projects.create(a.principal, { name: 'second' });
    const inSecond = await limited.core.actor(a.principal, second.id);
    await limited.core.monitors.create(a.actor, { name: 'first project', periodSeconds: 60 });
    await limited.core.monitors.create(inSecond, { name: 'second project', periodSeconds: 60 });
    await expect(limited.core.monitors.create(inSecond, { name: 'over', periodSeconds: 60 })).rejects.toBeInstanceOf(MonitorLimitError);
    await expect(limited.core.monitors.create(b.actor, { name: 'b', periodSeconds: 60 })).resolves.toMatchObject({ name: 'b' });
  });

  it('holds under concurrent creates: of eight at once, exactly two are stored', async () => {
    const a = await limited.tenant('race');
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => limited.core.monitors.create(a.actor, { name: `m${i}`, periodSeconds: 60 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(6);
    for (const r of refused) expect(r.reason).toBeInstanceOf(MonitorLimitError);
    expect(await countOf(limited, a.principal.accountId)).toBe(2);
  });

  it('applies to declarative sync and to monitors made by their first ping', async () => {
    const a = await limited.tenant('paths');
    await expect(
      limited.core.sync.apply(a.actor, { monitors: [1, 2, 3].map((i) => ({ key: `k${i}`, periodSeconds: 60 })) }),
    ).rejects.toBeInstanceOf(MonitorLimitError);
    expect(await countOf(limited, a.principal.accountId)).toBe(2);

    const c = await limited.tenant('pings');
    const pingKey = await limited.core.projects.getPingKey(c.principal, c.projectId);
    await limited.core.monitors.pingByKey(pingKey, 'one', 'success', {}, { create: true });
    await limited.core.monitors.pingByKey(pingKey, 'two', 'success', {}, { create: true });
    await expect(limited.core.monitors.pingByKey(pingKey, 'three', 'success', {}, { create: true })).rejects.toBeInstanceOf(MonitorLimitError);
    // A monitor that exists is still pinged at the limit.
    await expect(limited.core.monitors.pingByKey(pingKey, 'one')).resolves.toMatchObject({ pingCount: 2 });
  });

  it('is off at 0: an account creates as many monitors as it likes', async () => {
    const a = await open.tenant('unlimited');
    for (let i = 0; i < 4; i++) await open.core.monitors.create(a.actor, { name: `m${i}`, periodSeconds: 60 });
    expect(await countOf(open, a.principal.accountId)).toBe(4);
  });
});

describe('sign-up with alerts to the account email', () => {
  it("makes the account email its project's notification email; a plain sign-up leaves it unset", async () => {
    const alerting = await limited.core.signUp({ email: 'ops@example.com' }, { alertsToEmail: true });
    expect(alerting.project.notifyEmail).toBe('ops@example.com');
    const principal = await limited.core.authenticate(alerting.secret);
    expect((await limited.core.projects.get(principal, alerting.project.id)).notifyEmail).toBe('ops@example.com');

    const plain = await limited.core.signUp({ email: 'plain@example.com' });
    expect(plain.project.notifyEmail).toBeNull();
  });
});
