import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  PermissionError,
  ValidationError,
  verifyWebhook,
  WebhookVerificationError,
  type TockClient,
} from '../../../client/src/index.js';
import { signPayload } from '../../../server/executor/signing.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { startTrpcServer, type TrpcServer } from './harness.js';

let t: TestCore;
let a: TestTenant;
let b: TestTenant;
let srv: TrpcServer;
let tock: TockClient;

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant('a');
  b = await t.tenant('b');
  srv = await startTrpcServer(t);
  tock = srv.client(a.secret);
});
afterAll(async () => {
  await srv?.close();
  await t?.close();
});

describe('projects over tRPC', () => {
  it('creates, gets, renames, lists and deletes a project', async () => {
    const p = await tock.projects.create({ name: 'Staging' });
    expect(p).toMatchObject({ name: 'Staging', accountId: a.principal.accountId });
    expect(p.createdAt).toBeInstanceOf(Date);
    expect(await tock.projects.get(p.id)).toEqual(p);
    const renamed = await tock.projects.update(p.id, { name: 'Pre-prod' });
    expect(renamed.name).toBe('Pre-prod');
    const names: string[] = [];
    for await (const x of tock.projects.iterate({ pageSize: 1 })) names.push(x.name);
    expect(names).toEqual(['Default', 'Pre-prod']);
    await tock.projects.delete(p.id);
    await expect(tock.projects.get(p.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('sets, keeps and clears a project’s own retention, and refuses a negative or fractional one naming the field', async () => {
    const p = await tock.projects.create({ name: 'Retained', retentionDays: 7 });
    onTestFinished(() => tock.projects.delete(p.id));
    expect(p.retentionDays).toBe(7);
    expect((await tock.projects.update(p.id, { name: 'Still retained' })).retentionDays).toBe(7);
    expect((await tock.projects.update(p.id, { retentionDays: 0 })).retentionDays).toBe(0);
    expect((await tock.projects.update(p.id, { retentionDays: null })).retentionDays).toBeNull();
    expect((await tock.projects.get(p.id)).retentionDays).toBeNull();
    await expect(tock.projects.update(p.id, { retentionDays: -1 })).rejects.toMatchObject({ field: 'retention_days', status: 400 });
    await expect(tock.projects.update(p.id, { retentionDays: 1.5 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('refuses to delete the account’s last project with a ConflictError', async () => {
    const err = await tock.projects.delete(a.projectId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: 'failed_precondition', status: 409 });
  });

  it('rejects an empty project name with the name field named', async () => {
    await expect(tock.projects.create({ name: '  ' })).rejects.toMatchObject({ field: 'name', status: 400 });
    await expect(tock.projects.create({ name: '  ' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('acts on the project chosen with the project option (X-Tock-Project)', async () => {
    const second = await tock.projects.create({ name: 'Second' });
    const inSecond = srv.client(a.secret, { project: second.id });
    const s = await inSecond.schedules.create({ url: 'https://example.com/x', intervalSeconds: 60 });
    expect(s.projectId).toBe(second.id);
    expect((await inSecond.schedules.get(s.id)).id).toBe(s.id);
    await expect(tock.schedules.get(s.id)).rejects.toBeInstanceOf(NotFoundError);
    await tock.projects.delete(second.id);
  });

  it('answers NotFoundError when the chosen project belongs to another account', async () => {
    const err = await srv.client(a.secret, { project: b.projectId }).schedules.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe(`No project with id '${b.projectId}'`);
    await expect(tock.projects.get(b.projectId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('creates a key whose secret works, lists it, and revokes it so it fails to authenticate', async () => {
    const { key, secret } = await tock.projects.createKey({ name: 'ci', scopes: ['read:jobs'], projectId: a.projectId });
    expect(key).toMatchObject({ name: 'ci', scopes: ['read:jobs'], projectId: a.projectId, revokedAt: null });
    expect(secret.startsWith(key.prefix)).toBe(true);
    const ci = srv.client(secret);
    await expect(ci.schedules.list()).resolves.toMatchObject({ items: expect.any(Array) });
    const listed = [];
    for await (const k of tock.projects.iterateKeys()) listed.push(k.id);
    expect(listed).toContain(key.id);
    const revoked = await tock.projects.revokeKey(key.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    const err = await ci.schedules.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ code: 'unauthenticated', status: 401 });
  });

  it('does not let a key limited to one project create projects', async () => {
    const { secret } = await tock.projects.createKey({ projectId: a.projectId });
    const err = await srv.client(secret).projects.create({ name: 'Escape' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionError);
    expect(err).toMatchObject({ code: 'permission_denied', status: 403 });
  });

  it('does not let a key grant a scope it lacks', async () => {
    const { secret } = await tock.projects.createKey({ scopes: ['write:projects'] });
    await expect(srv.client(secret).projects.createKey({ scopes: ['write:jobs'] })).rejects.toBeInstanceOf(PermissionError);
  });

  it('rejects an unknown scope with the scopes field named', async () => {
    await expect(tock.projects.createKey({ scopes: ['admin' as never] })).rejects.toMatchObject({ field: 'scopes', status: 400 });
  });

  it('reads the project’s whsec_ signing secret, which verifies a call signed with it', async () => {
    const secrets = await tock.projects.getSigningSecrets(a.projectId);
    expect(secrets.current).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(secrets.previous).toBeNull();
    const body = JSON.stringify({ type: 'job.completed' });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signPayload({ id: 'msg_1', timestamp, body, secrets: [secrets.current] });
    expect(verifyWebhook(secrets.current, headers, body)).toEqual({ type: 'job.completed' });
  });

  it('rotates the signing secret keeping the old one alongside, then drops it with keepPrevious false', async () => {
    const p = await tock.projects.create({ name: 'Rotating' });
    const before = await tock.projects.getSigningSecrets(p.id);
    const rotated = await tock.projects.rotateSigningSecret(p.id);
    expect(rotated.previous).toBe(before.current);
    expect(rotated.current).not.toBe(before.current);
    expect(await tock.projects.getSigningSecrets(p.id)).toEqual(rotated);
    // During the overlap a call carries a signature by each secret: a receiver with either accepts it.
    const body = '{}';
    const headers = signPayload({ id: 'msg_2', timestamp: Math.floor(Date.now() / 1000), body, secrets: [rotated.current, rotated.previous!] });
    expect(verifyWebhook(rotated.current, headers, body)).toEqual({});
    expect(verifyWebhook(before.current, headers, body)).toEqual({});
    const dropped = await tock.projects.rotateSigningSecret(p.id, { keepPrevious: false });
    expect(dropped.previous).toBeNull();
    const onlyNew = signPayload({ id: 'msg_3', timestamp: Math.floor(Date.now() / 1000), body, secrets: [dropped.current] });
    expect(() => verifyWebhook(rotated.current, onlyNew, body)).toThrow(WebhookVerificationError);
    await tock.projects.delete(p.id);
  });

  it('keeps signing secrets from keys without write:projects and from other accounts', async () => {
    const { secret } = await tock.projects.createKey({ scopes: ['read:projects', 'read:jobs'] });
    await expect(srv.client(secret).projects.getSigningSecrets(a.projectId)).rejects.toBeInstanceOf(PermissionError);
    await expect(srv.client(secret).projects.rotateSigningSecret(a.projectId)).rejects.toBeInstanceOf(PermissionError);
    await expect(tock.projects.getSigningSecrets(b.projectId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tock.projects.rotateSigningSecret(b.projectId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rejects a keepPrevious that is not a boolean, naming the field', async () => {
    await expect(tock.projects.rotateSigningSecret(a.projectId, { keepPrevious: 'no' as never })).rejects.toMatchObject({ field: 'keep_previous', status: 400 });
  });

  it('answers NotFoundError when revoking another account’s key', async () => {
    const { key } = await t.core.keys.createUnchecked({ accountId: b.principal.accountId });
    await expect(tock.projects.revokeKey(key.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
