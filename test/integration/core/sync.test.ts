import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import { newId } from '../../../server/core/ids.js';
import type { SyncInput, SyncProgress } from '../../../server/core/index.js';
import type { Actor, Scope } from '../../../server/core/types.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

const postgres = inject('dbMode') === 'postgres';
let t: TestCore;
const clock = new ManualClock(new Date('2026-06-01T08:00:00Z'));

beforeAll(async () => {
  t = await createTestCore({ clock });
});
afterAll(() => t.close());

async function actorWith(tenant: TestTenant, scopes: Scope[]): Promise<Actor> {
  const { secret } = await t.core.keys.createUnchecked({ accountId: tenant.principal.accountId, name: scopes.join(' '), scopes });
  return t.core.actor(await t.core.authenticate(secret));
}

/** Every row of the project's synced tables, with its updated_at: what a write would move. */
async function rows(projectId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['schedules', 'monitors', 'jobs']) {
    for (const r of await t.database.db.execute<{ id: string; updated_at: Date }>(`select id, updated_at from ${table} where project_id = ?`, [projectId])) {
      out[r.id] = new Date(r.updated_at).getTime();
    }
  }
  return out;
}

/** Counts the statements sent to PostgreSQL by any pool of this process while `fn` runs. */
async function countingQueries<T>(fn: () => Promise<T>, onQuery?: (n: number) => void): Promise<{ result: T; queries: number }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let queries = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    queries++;
    onQuery?.(queries);
    return original.apply(this, args);
  };
  try {
    return { result: await fn(), queries };
  } finally {
    proto.query = original;
  }
}

const backup = { key: 'daily-backup', name: 'Daily backup', url: 'https://myapp.com/api/backup', cron: '0 6 * * *' };
const hourly = { key: 'hourly-sync', url: 'https://myapp.com/api/sync', cron: '0 * * * *', headers: { Authorization: 'Bearer t' } };
const heartbeat = { key: 'nightly-etl', periodSeconds: 86_400, graceSeconds: 600 };

describe('a sync reports what it creates, changes, deletes and leaves', () => {
  it('creates every entry of a new file and returns the objects in file order', async () => {
    const a = await t.tenant();
    const r = await t.core.sync.apply(a.actor, { schedules: [backup, hourly], monitors: [heartbeat] });
    expect(r.schedules.created.map((c) => c.key)).toEqual(['daily-backup', 'hourly-sync']);
    expect(r.schedules.objects.map((s) => [s.key, s.name, s.cron, s.state])).toEqual([
      ['daily-backup', 'Daily backup', '0 6 * * *', 'active'],
      ['hourly-sync', 'hourly-sync', '0 * * * *', 'active'],
    ]);
    expect(r.schedules.created.map((c) => c.id)).toEqual(r.schedules.objects.map((s) => s.id));
    expect(r.monitors.created).toEqual([{ key: 'nightly-etl', id: r.monitors.objects[0].id }]);
    expect(r.monitors.objects[0]).toMatchObject({ periodSeconds: 86_400, graceSeconds: 600, status: 'new' });
    expect(r.jobs).toEqual({ created: [], updated: [], deleted: [], unchanged: [], objects: [] });
    const stored = await t.core.schedules.getByKey(a.actor, 'hourly-sync');
    expect(stored).toMatchObject({ id: r.schedules.objects[1].id, headers: { Authorization: 'Bearer t' } });
    expect(stored.nextRunAt?.toISOString()).toBe('2026-06-01T09:00:00.000Z');
  });

  it('plans changes field by field, from the stored value to the input with defaults applied, and writes nothing', async () => {
    const a = await t.tenant();
    await t.core.sync.apply(a.actor, {
      schedules: [{ ...backup, timezone: 'Europe/Riga', maxRetries: 3 }, hourly],
      monitors: [heartbeat],
    });
    const before = await rows(a.projectId);
    clock.advance(60_000);
    const input: SyncInput = {
      // timezone and max_retries are left out now: their defaults are the desired values.
      schedules: [{ ...backup, cron: '30 6 * * *' }, { ...hourly, headers: undefined }, { key: 'weekly', url: 'https://myapp.com/w', intervalSeconds: 604_800 }],
      monitors: [{ ...heartbeat, graceSeconds: 900 }],
    };
    const plan = await t.core.sync.plan(a.actor, input);
    const backupId = (await t.core.schedules.getByKey(a.actor, 'daily-backup')).id;
    const hourlyId = (await t.core.schedules.getByKey(a.actor, 'hourly-sync')).id;
    expect(plan.schedules).toEqual({
      created: [{ key: 'weekly' }],
      updated: [
        {
          key: 'daily-backup',
          id: backupId,
          changes: { cron: { from: '0 6 * * *', to: '30 6 * * *' }, timezone: { from: 'Europe/Riga', to: 'UTC' }, maxRetries: { from: 3, to: 0 } },
        },
        { key: 'hourly-sync', id: hourlyId, changes: { headers: { from: { Authorization: 'Bearer t' }, to: {} } } },
      ],
      deleted: [],
      unchanged: [],
    });
    expect(plan.monitors.updated).toEqual([{ key: 'nightly-etl', id: expect.any(String), changes: { graceSeconds: { from: 600, to: 900 } } }]);
    expect(await rows(a.projectId)).toEqual(before);

    const applied = await t.core.sync.apply(a.actor, input);
    expect(applied.schedules.updated).toEqual(plan.schedules.updated);
    expect(applied.schedules.created).toEqual([{ key: 'weekly', id: applied.schedules.objects[2].id }]);
    expect(applied.monitors.updated).toEqual(plan.monitors.updated);
    const stored = await t.core.schedules.getByKey(a.actor, 'daily-backup');
    expect(stored).toMatchObject({ cron: '30 6 * * *', timezone: 'UTC', maxRetries: 0, name: 'Daily backup' });
    expect(stored.nextRunAt?.toISOString()).toBe('2026-06-02T06:30:00.000Z');
    expect((await t.core.schedules.getByKey(a.actor, 'hourly-sync')).headers).toEqual({});
    expect(applied.monitors.objects[0].graceSeconds).toBe(900);
  });

  it('switches a schedule between cron and interval, clearing the other trigger', async () => {
    const a = await t.tenant();
    await t.core.sync.apply(a.actor, { schedules: [backup] });
    const r = await t.core.sync.apply(a.actor, { schedules: [{ ...backup, cron: undefined, intervalSeconds: 300 }] });
    expect(r.schedules.updated[0].changes).toEqual({ cron: { from: '0 6 * * *', to: null }, intervalSeconds: { from: null, to: 300 } });
    expect(r.schedules.objects[0]).toMatchObject({ cron: null, intervalSeconds: 300 });
    expect(r.schedules.objects[0].nextRunAt?.getTime()).toBe(clock.now().getTime() + 300_000);
  });

  it("leaves a schedule's state alone unless the file names it", async () => {
    const a = await t.tenant();
    const [s] = (await t.core.sync.apply(a.actor, { schedules: [backup] })).schedules.objects;
    await t.core.schedules.pause(a.actor, s.id);
    const kept = await t.core.sync.apply(a.actor, { schedules: [backup] });
    expect(kept.schedules.unchanged).toEqual([{ key: 'daily-backup', id: s.id }]);
    expect(kept.schedules.objects[0].state).toBe('paused');
    const resumed = await t.core.sync.apply(a.actor, { schedules: [{ ...backup, state: 'active' }] });
    expect(resumed.schedules.updated[0].changes).toEqual({ state: { from: 'paused', to: 'active' } });
    expect((await t.core.schedules.get(a.actor, s.id)).nextRunAt).not.toBeNull();
  });
});

describe('a sync of an unchanged file', () => {
  it('reports everything unchanged and writes nothing, also where the core normalised the values', async () => {
    const a = await t.tenant();
    const input: SyncInput = {
      schedules: [
        { key: 'spaced', url: 'HTTPS://MyApp.COM:443/api/x', cron: ' 0   6 * *  * ', method: 'get', name: '  Spaced  ' },
        { key: 'headers', url: 'https://myapp.com/h', intervalSeconds: 60, headers: { 'x-b': '2', 'x-a': '1', 'X-Longer-Name': '3' }, expectedStatus: [204, 200] },
      ],
      monitors: [{ key: 'm', cron: '*/5  * * * *', timezone: 'Europe/Riga', alertWebhook: 'https://Hooks.example.com' }],
      jobs: [{ idempotencyKey: 'migrate-once', url: 'https://myapp.com/migrate', scheduledAt: '2026-06-01T12:00:00+02:00' }],
    };
    const first = await t.core.sync.apply(a.actor, input);
    expect(first.schedules.objects[0]).toMatchObject({ url: 'https://myapp.com/api/x', cron: '0 6 * * *', method: 'GET', name: 'Spaced' });
    expect(first.monitors.objects[0]).toMatchObject({ cron: '*/5 * * * *', alertWebhook: 'https://hooks.example.com/' });
    expect(first.jobs.created).toEqual([{ key: 'migrate-once', id: first.jobs.objects[0].id }]);
    const before = await rows(a.projectId);
    clock.advance(3_600_000);

    const again = await t.core.sync.apply(a.actor, input);
    for (const kind of ['schedules', 'monitors', 'jobs'] as const) {
      expect(again[kind].created).toEqual([]);
      expect(again[kind].updated).toEqual([]);
      expect(again[kind].unchanged.map((u) => u.id)).toEqual(first[kind].objects.map((o) => o.id));
    }
    expect(await rows(a.projectId)).toEqual(before);
    const plan = await t.core.sync.plan(a.actor, input, { prune: true });
    expect([...plan.schedules.unchanged, ...plan.monitors.unchanged, ...plan.jobs.unchanged]).toHaveLength(4);
    expect([...plan.schedules.deleted, ...plan.schedules.created, ...plan.schedules.updated]).toEqual([]);
  });

  it('keeps a one-time job without scheduled_at unchanged after it was created for "now"', async () => {
    const a = await t.tenant();
    const input: SyncInput = { jobs: [{ idempotencyKey: 'warm-cache', url: 'https://myapp.com/warm' }] };
    const first = await t.core.sync.apply(a.actor, input);
    expect(first.jobs.objects[0].scheduledAt.getTime()).toBe(clock.now().getTime());
    clock.advance(600_000);
    const again = await t.core.sync.apply(a.actor, input);
    expect(again.jobs.unchanged).toEqual([{ key: 'warm-cache', id: first.jobs.objects[0].id }]);
    expect(again.jobs.objects[0].id).toBe(first.jobs.objects[0].id);
  });
});

describe('pruning', () => {
  it('deletes only keyed objects of the kinds the file names, and cancels the pending runs of deleted schedules', async () => {
    const a = await t.tenant();
    const other = await t.tenant();
    await t.core.sync.apply(a.actor, { schedules: [backup, hourly], monitors: [heartbeat] });
    const unkeyed = await t.core.schedules.create(a.actor, { url: 'https://myapp.com/manual', cron: '0 0 * * *' });
    const sameKeyElsewhere = (await t.core.sync.apply(other.actor, { schedules: [hourly] })).schedules.objects[0];
    const old = await t.core.schedules.getByKey(a.actor, 'hourly-sync');
    const pending = await t.core.schedules.trigger(a.actor, old.id);
    const job = (await t.core.sync.apply(a.actor, { jobs: [{ idempotencyKey: 'j', url: 'https://myapp.com/j', scheduledAt: '2026-07-01T00:00:00Z' }] })).jobs.objects[0];

    const withoutPrune = await t.core.sync.plan(a.actor, { schedules: [backup] });
    expect(withoutPrune.schedules.deleted).toEqual([]);
    const dryRun = await t.core.sync.plan(a.actor, { schedules: [backup], jobs: [] }, { prune: true });
    expect(dryRun.schedules.deleted).toEqual([{ key: 'hourly-sync', id: old.id }]);
    expect((await t.core.jobs.get(a.actor, pending.id)).status).toBe('scheduled');

    const r = await t.core.sync.apply(a.actor, { schedules: [backup], jobs: [] }, { prune: true });
    expect(r.schedules.deleted).toEqual([{ key: 'hourly-sync', id: old.id }]);
    expect(r.schedules.unchanged.map((u) => u.key)).toEqual(['daily-backup']);
    expect(r.jobs.deleted).toEqual([]);
    expect((await rejectionOf(t.core.schedules.get(a.actor, old.id))).code).toBe('not_found');
    expect((await t.core.jobs.get(a.actor, pending.id)).status).toBe('cancelled');
    expect((await t.core.jobs.get(a.actor, job.id)).status).toBe('scheduled');
    expect((await t.core.schedules.get(a.actor, unkeyed.id)).id).toBe(unkeyed.id);
    expect((await t.core.monitors.list(a.actor)).items.map((m) => m.key)).toEqual(['nightly-etl']);
    expect((await t.core.schedules.get(other.actor, sameKeyElsewhere.id)).key).toBe('hourly-sync');

    const monitorsPruned = await t.core.sync.apply(a.actor, { monitors: [] }, { prune: true });
    expect(monitorsPruned.monitors.deleted.map((d) => d.key)).toEqual(['nightly-etl']);
    expect((await t.core.monitors.list(a.actor)).items).toEqual([]);
    expect((await t.core.schedules.list(a.actor)).items).toHaveLength(2);
  });
});

describe("the project's settings", () => {
  it('are set in the same sync as the entries, reported field by field, and left alone by a sync that does not name them', async () => {
    const a = await t.tenant();
    const input: SyncInput = {
      schedules: [backup],
      project: { notifyEmail: 'alerts@myapp.com', notifyWebhookUrl: 'https://hooks.slack.com/services/xxx' },
    };
    const plan = await t.core.sync.plan(a.actor, input);
    expect(plan.project).toEqual({
      changes: { notifyEmail: { from: null, to: 'alerts@myapp.com' }, notifyWebhookUrl: { from: null, to: 'https://hooks.slack.com/services/xxx' } },
    });
    expect((await t.core.projects.get(a.principal, a.projectId)).notifyEmail).toBeNull();

    const applied = await t.core.sync.apply(a.actor, input);
    expect(applied.project?.changes).toEqual(plan.project?.changes);
    expect(applied.project?.object).toMatchObject({ id: a.projectId, notifyEmail: 'alerts@myapp.com', notifyWebhookUrl: 'https://hooks.slack.com/services/xxx' });
    expect(applied.schedules.created.map((c) => c.key)).toEqual(['daily-backup']);
    const stored = await t.core.projects.get(a.principal, a.projectId);
    expect(stored).toMatchObject({ notifyEmail: 'alerts@myapp.com', notifyWebhookUrl: 'https://hooks.slack.com/services/xxx', notifyWebhookFormat: 'auto' });

    clock.advance(1_000);
    const again = await t.core.sync.apply(a.actor, input);
    expect(again.project).toEqual({ changes: {}, object: stored });
    expect((await t.core.projects.get(a.principal, a.projectId)).updatedAt).toEqual(stored.updatedAt);

    const untouched = await t.core.sync.apply(a.actor, { schedules: [backup] });
    expect(untouched.project).toBeNull();
    expect((await t.core.projects.get(a.principal, a.projectId)).notifyWebhookUrl).toBe('https://hooks.slack.com/services/xxx');
  });

  it('clear a setting the named settings leave out, as an entry field left out takes its default', async () => {
    const a = await t.tenant();
    await t.core.sync.apply(a.actor, { project: { notifyEmail: 'alerts@myapp.com', notifyWebhookUrl: 'https://hooks.slack.com/services/xxx', notifyWebhookFormat: 'slack' } });
    const r = await t.core.sync.apply(a.actor, { project: { notifyEmail: 'alerts@myapp.com' } });
    expect(r.project?.changes).toEqual({
      notifyWebhookUrl: { from: 'https://hooks.slack.com/services/xxx', to: null },
      notifyWebhookFormat: { from: 'slack', to: 'auto' },
    });
    expect(await t.core.projects.get(a.principal, a.projectId)).toMatchObject({ notifyEmail: 'alerts@myapp.com', notifyWebhookUrl: null, notifyWebhookFormat: 'auto' });
  });

  it("set the project's retention in days, planned as from -> to, and clear it back to the server default when left out", async () => {
    const a = await t.tenant();
    const plan = await t.core.sync.plan(a.actor, { project: { retentionDays: 7 } });
    expect(plan.project?.changes).toEqual({ retentionDays: { from: null, to: 7 } });
    await t.core.sync.apply(a.actor, { project: { retentionDays: 7 } });
    expect((await t.core.projects.get(a.principal, a.projectId)).retentionDays).toBe(7);
    const cleared = await t.core.sync.apply(a.actor, { project: { notifyEmail: null } });
    expect(cleared.project?.changes).toEqual({ retentionDays: { from: 7, to: null } });
    const bad = await rejectionOf(t.core.sync.apply(a.actor, { project: { retentionDays: -3 } }));
    expect(bad).toMatchObject({ code: 'invalid_argument', field: 'project.retention_days' });
  });

  it('fail the whole sync naming the setting when one is bad, before any entry is written', async () => {
    const a = await t.tenant();
    const url = await rejectionOf(t.core.sync.apply(a.actor, { schedules: [backup], project: { notifyWebhookUrl: 'ftp://hooks.example' } }));
    expect(url).toMatchObject({ code: 'invalid_url', field: 'project.notify_webhook_url' });
    expect(url.message).toBe("project.notify_webhook_url: Invalid URL 'ftp://hooks.example': scheme 'ftp' is not allowed (use http or https)");
    const email = await rejectionOf(t.core.sync.apply(a.actor, { schedules: [backup], project: { notifyEmail: 'not-an-address' } }));
    expect(email).toMatchObject({ code: 'invalid_argument', field: 'project.notify_email', message: 'project.notify_email: must be an email address' });
    expect(await rows(a.projectId)).toEqual({});
    expect((await t.core.projects.get(a.principal, a.projectId)).notifyEmail).toBeNull();
  });

  it('need read:projects for a dry run and write:projects to apply, checked before any write', async () => {
    const a = await t.tenant();
    const input: SyncInput = { schedules: [backup], project: { notifyEmail: 'alerts@myapp.com' } };
    const jobsOnly = await actorWith(a, ['write:jobs']);
    expect(await rejectionOf(t.core.sync.plan(jobsOnly, input))).toMatchObject({ code: 'permission_denied', requiredScope: 'read:projects' });
    expect(await rejectionOf(t.core.sync.apply(jobsOnly, input))).toMatchObject({ code: 'permission_denied', requiredScope: 'write:projects' });
    expect(await rows(a.projectId)).toEqual({});
    const readProjects = await actorWith(a, ['write:jobs', 'read:projects']);
    expect((await t.core.sync.plan(readProjects, input)).project?.changes).toEqual({ notifyEmail: { from: null, to: 'alerts@myapp.com' } });
    const both = await actorWith(a, ['write:jobs', 'write:projects']);
    expect((await t.core.sync.apply(both, input)).project?.object.notifyEmail).toBe('alerts@myapp.com');
  });

  it("reach only the actor's own project", async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    await t.core.sync.apply(a.actor, { project: { notifyEmail: 'a@myapp.com' } });
    expect((await t.core.projects.get(b.principal, b.projectId)).notifyEmail).toBeNull();
    expect((await t.core.projects.get(a.principal, a.projectId)).notifyEmail).toBe('a@myapp.com');
  });
});

describe('bad input', () => {
  it.each([
    [{ schedules: [backup, hourly, { ...backup, key: 'third', cron: '0 6 * *' }] }, 'invalid_cron', 'schedules[2].cron', "schedules[2].cron: Invalid cron expression: '0 6 * *'"],
    [{ schedules: [backup, { key: 'no-url', cron: '* * * * *' }] }, 'invalid_argument', 'schedules[1].url', 'schedules[1].url: is required'],
    [{ schedules: [{ url: 'https://a.example', cron: '* * * * *' }] }, 'invalid_argument', 'schedules[0].key', 'schedules[0].key: is required'],
    [{ schedules: [backup, hourly, backup] }, 'invalid_argument', 'schedules[2].key', "schedules[2].key: 'daily-backup' is also the key of schedules[0]"],
    [{ schedules: [backup], monitors: [heartbeat, { key: 'm2', periodSeconds: 60, timezone: 'Mars/Olympus' }] }, 'invalid_timezone', 'monitors[1].timezone', "monitors[1].timezone: Unknown time zone 'Mars/Olympus'"],
    [{ monitors: [{ key: 'm', periodSeconds: 60, cron: '* * * * *' }] }, 'invalid_argument', 'monitors[0].cron', 'monitors[0].cron: Set either cron or period_seconds, not both'],
    [{ jobs: [{ idempotencyKey: 'j', url: 'ftp://x.example' }] }, 'invalid_url', 'jobs[0].url', "jobs[0].url: Invalid URL 'ftp://x.example'"],
    [{ jobs: [{ idempotencyKey: 'j', url: 'https://x.example', scheduledAt: 'soon' }] }, 'invalid_argument', 'jobs[0].scheduled_at', "jobs[0].scheduled_at: 'soon' is not a date"],
    [{ schedules: [{ ...backup, retryBackoffMs: 5000, retryBackoffMaxMs: 10 }] }, 'invalid_argument', 'schedules[0].retry_backoff_max_ms', 'schedules[0].retry_backoff_max_ms: must be at least retry_backoff_ms'],
    [{ schedules: [backup], notifications: { email: 'a@b.c' } }, 'invalid_argument', 'notifications', 'Unknown field: notifications'],
    [{ schedules: [{ ...backup, colour: 'red' }] }, 'invalid_argument', 'schedules[0].colour', 'Unknown field: schedules[0].colour'],
  ])('%j fails with %s naming %s, and nothing is written', async (input, code, field, message) => {
    const a = await t.tenant();
    const err = await rejectionOf(t.core.sync.apply(a.actor, input as SyncInput));
    expect(err).toMatchObject({ code, field });
    expect(err.message).toContain(message);
    expect(await rows(a.projectId)).toEqual({});
    const planErr = await rejectionOf(t.core.sync.plan(a.actor, input as SyncInput));
    expect(planErr).toMatchObject({ code, field });
  });

  it('refuses a one-time job whose idempotency key was used for a different call, naming the entry and writing nothing', async () => {
    const a = await t.tenant();
    const job = (await t.core.sync.apply(a.actor, { jobs: [{ idempotencyKey: 'j', url: 'https://myapp.com/j' }] })).jobs.objects[0];
    const before = await rows(a.projectId);
    const err = await rejectionOf(
      t.core.sync.apply(a.actor, { schedules: [backup], jobs: [{ idempotencyKey: 'j', url: 'https://myapp.com/other', maxRetries: 2 }] }),
    );
    expect(err).toMatchObject({ code: 'idempotency_conflict', field: 'jobs[0]' });
    expect(err.message).toBe(`jobs[0]: Idempotency key 'j' was already used for job '${job.id}' with a different request; use a new key (differs in url, max_retries)`);
    expect(await rows(a.projectId)).toEqual(before);
  });
});

describe('scopes', () => {
  it('a dry run needs only read scopes; applying needs the write scope of every kind the file names, checked before any write', async () => {
    const a = await t.tenant();
    const input: SyncInput = { schedules: [backup], monitors: [heartbeat] };
    const readOnly = await actorWith(a, ['read:jobs', 'read:monitors']);
    expect((await t.core.sync.plan(readOnly, input)).schedules.created).toEqual([{ key: 'daily-backup' }]);
    expect(await rejectionOf(t.core.sync.apply(readOnly, input))).toMatchObject({ code: 'permission_denied', message: "This key lacks the 'write:jobs' scope" });

    const jobsOnly = await actorWith(a, ['write:jobs']);
    expect(await rejectionOf(t.core.sync.plan(jobsOnly, input))).toMatchObject({ code: 'permission_denied', requiredScope: 'read:monitors' });
    expect(await rejectionOf(t.core.sync.apply(jobsOnly, input))).toMatchObject({ code: 'permission_denied', requiredScope: 'write:monitors' });
    expect(await rows(a.projectId)).toEqual({});

    const r = await t.core.sync.apply(jobsOnly, { schedules: [backup] });
    expect(r.schedules.created.map((c) => c.key)).toEqual(['daily-backup']);
    const monitorsOnly = await actorWith(a, ['write:monitors']);
    expect((await t.core.sync.apply(monitorsOnly, { monitors: [heartbeat] })).monitors.created.map((c) => c.key)).toEqual(['nightly-etl']);
  });
});

describe('concurrent syncs of one project', () => {
  it('make each object once: a create that lost the race to the other sync is reported unchanged', async () => {
    const a = await t.tenant();
    const input: SyncInput = {
      schedules: Array.from({ length: 60 }, (_, i) => ({ key: `s-${i}`, url: `https://myapp.com/${i}`, intervalSeconds: 60 + i })),
      monitors: Array.from({ length: 20 }, (_, i) => ({ key: `m-${i}`, periodSeconds: 3600 })),
      jobs: Array.from({ length: 20 }, (_, i) => ({ idempotencyKey: `j-${i}`, url: `https://myapp.com/j/${i}` })),
    };
    const [x, y] = await Promise.all([t.core.sync.apply(a.actor, input), t.core.sync.apply(a.actor, input)]);
    for (const [kind, n] of [['schedules', 60], ['monitors', 20], ['jobs', 20]] as const) {
      expect(x[kind].created.length + y[kind].created.length).toBe(n);
      expect(x[kind].created.length + x[kind].unchanged.length).toBe(n);
      expect(y[kind].created.length + y[kind].unchanged.length).toBe(n);
      expect(x[kind].objects.map((o) => o.id)).toEqual(y[kind].objects.map((o) => o.id));
    }
    const counts = await t.database.db.execute<{ n: string }>(
      `select (select count(*) from schedules where project_id = ?) + (select count(*) from monitors where project_id = ?) + (select count(*) from jobs where project_id = ?) as n`,
      [a.projectId, a.projectId, a.projectId],
    );
    expect(Number(counts[0].n)).toBe(100);
  });
});

describe('a write that loses a race', () => {
  // Another writer's insert of the same key is held uncommitted until the sync's own insert
  // waits on the unique index, so the sync has planned a create that can only lose.
  it.skipIf(!postgres)('is planned again against what the other writer stored: its create becomes an update', async () => {
    const a = await t.tenant();
    const template = await t.core.schedules.create(a.actor, { key: 'template', url: 'https://other.example/x', cron: '0 6 * * *' });
    const other = new pg.Client({ connectionString: t.database.url });
    await other.connect();
    try {
      const racedId = newId('schedule');
      await other.query('begin');
      await other.query(
        `insert into schedules select * from jsonb_populate_record(null::schedules,
           (select to_jsonb(s) || jsonb_build_object('id', $2::text, 'key', 'raced', 'name', 'raced') from schedules s where id = $1))`,
        [template.id, racedId],
      );
      const applying = t.core.sync.apply(a.actor, { schedules: [{ ...backup, key: 'raced' }] });
      const ended = applying.then(() => true, () => true);
      for (;;) {
        // Polled outside the open transaction: inside one, pg_stat_activity stays as first read.
        const waiting = await t.database.db.execute(
          `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into "schedules"%'`,
        );
        // A sync that ended without waiting fails the assertions below.
        if (waiting.length > 0 || (await Promise.race([ended, new Promise<false>((resolve) => setImmediate(() => resolve(false)))]))) break;
      }
      await other.query('commit');
      const r = await applying;
      expect(r.schedules.created).toEqual([]);
      expect(r.schedules.updated).toEqual([
        {
          key: 'raced',
          id: racedId,
          changes: { name: { from: 'raced', to: 'Daily backup' }, url: { from: 'https://other.example/x', to: 'https://myapp.com/api/backup' } },
        },
      ]);
      expect(await t.core.schedules.getByKey(a.actor, 'raced')).toMatchObject({ id: racedId, url: 'https://myapp.com/api/backup' });
    } finally {
      await other.end();
    }
  });
});

describe('a large sync', () => {
  it('applies 2,000 schedules with progress, and re-syncs them unchanged in a bounded number of statements', async () => {
    const a = await t.tenant();
    const input: SyncInput = {
      schedules: Array.from({ length: 2_000 }, (_, i) => ({ key: `load-${i}`, url: `https://myapp.com/load/${i}`, cron: `${i % 60} * * * *`, headers: { 'x-n': String(i) } })),
    };
    const progress: SyncProgress[] = [];
    const started = performance.now();
    const first = await t.core.sync.apply(a.actor, input, { onProgress: (p) => progress.push(p) });
    const applyMs = performance.now() - started;
    expect(first.schedules.created).toHaveLength(2_000);
    expect(progress[0]).toEqual({ done: 0, total: 2_000 });
    expect(progress.at(-1)).toEqual({ done: 2_000, total: 2_000 });
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: 2_001 }, (_, i) => i));

    const before = await rows(a.projectId);
    clock.advance(60_000);
    const resync = await countingQueries(() => t.core.sync.apply(a.actor, input));
    expect(resync.result.schedules.unchanged).toHaveLength(2_000);
    expect(resync.result.schedules.updated).toEqual([]);
    expect(resync.queries).toBeGreaterThan(0);
    expect(resync.queries).toBeLessThan(20);
    const pruning = await countingQueries(() => t.core.sync.plan(a.actor, input, { prune: true }));
    expect(pruning.result.schedules.unchanged).toHaveLength(2_000);
    expect(pruning.queries).toBeLessThan(20);
    expect(await rows(a.projectId)).toEqual(before);
    console.info(`[sync] 2,000 creates in ${applyMs.toFixed(0)} ms; unchanged re-sync: ${resync.queries} statements, plan with prune: ${pruning.queries}`);
  });

  it('checks thousands of entries without holding the event loop until the first read', async () => {
    const a = await t.tenant();
    const input: SyncInput = { schedules: Array.from({ length: 2_000 }, (_, i) => ({ key: `k-${i}`, url: 'https://myapp.com/k', cron: `${i % 60} 4 * * *` })) };
    // Every entry is checked (cron parsing) before the first statement is sent; a loop that
    // counts its own turns shows whether other work (the timer) ran in between.
    let turns = 0;
    let turnsAtFirstQuery = -1;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const { result } = await countingQueries(
      () => t.core.sync.plan(a.actor, input),
      (n) => {
        if (n === 1) turnsAtFirstQuery = turns;
      },
    ).finally(() => (spinning = false));
    expect(result.schedules.created).toHaveLength(2_000);
    expect(turnsAtFirstQuery).toBeGreaterThanOrEqual(5);
  });
});
