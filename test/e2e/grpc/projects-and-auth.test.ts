import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Key, Project } from '../../../client/src/gen/tock/v1/project.js';
import { ListSchedulesRequest, Schedule } from '../../../client/src/gen/tock/v1/schedule.js';
import type { TestTenant } from '../../helpers/core.js';
import { bearer, failure, startHarness, type Clients, type Harness } from './harness.js';

let h: Harness;
let a: TestTenant;
let api: Clients;

beforeAll(async () => {
  h = await startHarness();
  a = await h.t.tenant('a');
  api = h.clients(bearer(a.secret));
});
afterAll(() => h.close());

const schedule = (url = 'https://example.com/hook') => ({ schedule: Schedule.fromPartial({ url, intervalSeconds: 60 }) });

describe('gRPC ProjectService', () => {
  it('creates, reads, lists, renames and deletes projects of the account', async () => {
    const b = await h.t.tenant('projects');
    const own = h.clients(bearer(b.secret));
    const created = await own.projects.createProject({ project: Project.fromPartial({ name: 'Staging' }) });
    expect(created.id).toMatch(/^proj_[0-9a-z]{26}$/);
    expect(created.name).toBe('Staging');
    expect(await own.projects.getProject({ id: created.id })).toEqual(created);
    const list = await own.projects.listProjects({ pageSize: 0, pageToken: '' });
    expect(list.projects.map((p) => p.id)).toEqual([b.projectId, created.id]);
    const renamed = await own.projects.updateProject({ project: Project.fromPartial({ id: created.id, name: 'Stage' }), updateMask: ['name'] });
    expect(renamed.name).toBe('Stage');
    const inside = await h.clients(bearer(b.secret, { 'x-tock-project': created.id })).schedules.createSchedule(schedule());
    expect(await own.projects.deleteProject({ id: created.id })).toEqual({});
    expect((await failure(own.projects.getProject({ id: created.id }))).code).toBe(status.NOT_FOUND);
    expect(await h.t.database.db.execute('select id from schedules where id = ?', [inside.id])).toEqual([]);
  });

  it("refuses to delete the account's last project with FAILED_PRECONDITION", async () => {
    const err = await failure(api.projects.deleteProject({ id: a.projectId }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.tockCode).toBe('failed_precondition');
  });

  it('rejects a project without a name, and an empty name in the update mask', async () => {
    expect((await failure(api.projects.createProject({ project: Project.fromPartial({}) }))).code).toBe(status.INVALID_ARGUMENT);
    const err = await failure(api.projects.updateProject({ project: Project.fromPartial({ id: a.projectId }), updateMask: ['name'] }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.tockField).toBe('name');
  });

  it('keeps a retention set elsewhere through an update with the * mask, since the message has no field for it', async () => {
    const b = await h.t.tenant('retention');
    await h.t.core.projects.update(b.principal, b.projectId, { retentionDays: 7 });
    const own = h.clients(bearer(b.secret));
    const updated = await own.projects.updateProject({ project: Project.fromPartial({ id: b.projectId, name: 'Kept' }), updateMask: ['*'] });
    expect(updated.name).toBe('Kept');
    expect((await h.t.core.projects.get(b.principal, b.projectId)).retentionDays).toBe(7);
    const err = await failure(own.projects.updateProject({ project: Project.fromPartial({ id: b.projectId }), updateMask: ['retention_days'] }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain("'retention_days' is not an updatable field of Project");
  });

  it("answers NOT_FOUND for another account's project", async () => {
    const other = await h.t.tenant('other');
    expect((await failure(api.projects.getProject({ id: other.projectId }))).code).toBe(status.NOT_FOUND);
    expect((await failure(api.projects.deleteProject({ id: other.projectId }))).code).toBe(status.NOT_FOUND);
  });

  it('creates a key whose secret works once, lists it without the secret, and revokes it', async () => {
    const { key, secret } = await api.projects.createKey({ key: Key.fromPartial({ name: 'ci', scopes: ['read:jobs'], projectId: a.projectId }) });
    expect(key).toMatchObject({ name: 'ci', scopes: ['read:jobs'], projectId: a.projectId });
    expect(key!.revokedAt).toBeUndefined();
    expect(secret.startsWith(key!.prefix)).toBe(true);

    const ci = h.clients(bearer(secret));
    await ci.schedules.listSchedules(ListSchedulesRequest.fromPartial({ pageSize: 1, pageToken: '' }));
    const denied = await failure(ci.schedules.createSchedule(schedule()));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toBe("This key lacks the 'write:jobs' scope");

    const keys = await api.projects.listKeys({ pageSize: 0, pageToken: '' });
    expect(keys.keys.map((k) => k.id)).toContain(key!.id);
    expect(JSON.stringify(keys)).not.toContain(secret);

    const revoked = await api.projects.revokeKey({ id: key!.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    const err = await failure(ci.schedules.listSchedules(ListSchedulesRequest.fromPartial({ pageSize: 1, pageToken: '' })));
    expect(err.code).toBe(status.UNAUTHENTICATED);
    expect(err.tockCode).toBe('unauthenticated');
  });

  it('refuses to grant a scope the calling key lacks', async () => {
    const { secret } = await h.t.core.keys.createUnchecked({ accountId: a.principal.accountId, scopes: ['write:projects'] });
    const limited = h.clients(bearer(secret));
    const err = await failure(limited.projects.createKey({ key: Key.fromPartial({ scopes: ['write:jobs'] }) }));
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect((await failure(limited.projects.createKey({ key: Key.fromPartial({ scopes: ['root'] }) }))).code).toBe(status.INVALID_ARGUMENT);
  });

  it('answers NOT_FOUND for revoking an unknown key', async () => {
    expect((await failure(api.projects.revokeKey({ id: 'key_00000000000000000000000000' }))).code).toBe(status.NOT_FOUND);
  });
});

describe('gRPC authentication', () => {
  it('answers UNAUTHENTICATED without a key, with a wrong key and with a non-Bearer authorization', async () => {
    for (const md of [bearer(null), bearer('tock_not_a_real_key'), bearer(null, { authorization: `Basic ${a.secret}` })]) {
      const c = h.clients(md);
      const err = await failure(c.schedules.listSchedules(ListSchedulesRequest.fromPartial({ pageSize: 0, pageToken: '' })));
      expect(err.code).toBe(status.UNAUTHENTICATED);
      expect(err.details).toContain('Missing or invalid API key');
      expect((await failure(c.projects.listProjects({ pageSize: 0, pageToken: '' }))).code).toBe(status.UNAUTHENTICATED);
    }
  });

  it('accepts the key in x-api-key metadata', async () => {
    const md = new Metadata();
    md.set('x-api-key', a.secret);
    const c = h.clients(md);
    const created = await c.schedules.createSchedule(schedule());
    expect((await c.schedules.getSchedule({ id: created.id })).id).toBe(created.id);
  });

  it('answers PERMISSION_DENIED for writes with a read-only key, which can still read', async () => {
    const { secret } = await h.t.core.keys.createUnchecked({ accountId: a.principal.accountId, scopes: ['read:jobs'] });
    const ro = h.clients(bearer(secret));
    const existing = await api.schedules.createSchedule(schedule());
    expect((await ro.schedules.getSchedule({ id: existing.id })).id).toBe(existing.id);
    const err = await failure(ro.schedules.createSchedule(schedule()));
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(err.tockCode).toBe('permission_denied');
    expect((await failure(ro.schedules.pauseSchedule({ id: existing.id }))).code).toBe(status.PERMISSION_DENIED);
    expect((await failure(ro.monitors.listMonitors({ pageSize: 0, pageToken: '' }))).code).toBe(status.PERMISSION_DENIED);
    expect((await failure(ro.projects.listProjects({ pageSize: 0, pageToken: '' }))).code).toBe(status.PERMISSION_DENIED);
  });

  it('acts on the project named in x-tock-project, and only there', async () => {
    const second = await h.t.core.projects.create(a.principal, { name: 'Second' });
    const inSecond = h.clients(bearer(a.secret, { 'x-tock-project': second.id }));
    const s = await inSecond.schedules.createSchedule(schedule());
    expect((await inSecond.schedules.getSchedule({ id: s.id })).id).toBe(s.id);
    expect((await failure(api.schedules.getSchedule({ id: s.id }))).code).toBe(status.NOT_FOUND);
  });

  it("answers NOT_FOUND when x-tock-project names another account's project", async () => {
    const other = await h.t.tenant('elsewhere');
    const c = h.clients(bearer(a.secret, { 'x-tock-project': other.projectId }));
    const err = await failure(c.schedules.listSchedules(ListSchedulesRequest.fromPartial({ pageSize: 0, pageToken: '' })));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.details).toBe(`No project with id '${other.projectId}'`);
  });

  it('turns an unexpected failure into INTERNAL "internal error" and logs it once', async () => {
    const spy = vi.spyOn(h.t.core.schedules, 'list').mockRejectedValueOnce(new Error('connection reset by gremlins'));
    const before = h.logs.length;
    try {
      const err = await failure(api.schedules.listSchedules(ListSchedulesRequest.fromPartial({ pageSize: 0, pageToken: '' })));
      expect(err.code).toBe(status.INTERNAL);
      expect(err.details).toBe('internal error');
      expect(err.tockCode).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    const lines = h.logs.slice(before).filter((l) => l.level === 50);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ surface: 'grpc', rpc: '/tock.v1.ScheduleService/ListSchedules' });
    expect(JSON.stringify(lines[0])).toContain('connection reset by gremlins');
  });
});
