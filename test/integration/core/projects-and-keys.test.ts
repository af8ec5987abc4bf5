import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import { FailedPreconditionError, NotFoundError, PermissionDeniedError, UnauthenticatedError } from '../../../server/core/errors.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

let t: TestCore;
let a: TestTenant;
const clock = new ManualClock(new Date('2026-05-01T10:00:00Z'));

beforeAll(async () => {
  t = await createTestCore({ clock });
  a = await t.tenant('a');
});
afterAll(() => t.close());

describe('first start', () => {
  it('creates one admin key only while no key exists', async () => {
    const fresh = await createTestCore();
    try {
      const boot = await fresh.core.bootstrap();
      expect(boot?.secret).toMatch(/^tock_[0-9A-Za-z]{40}$/);
      const principal = await fresh.core.authenticate(boot!.secret);
      expect(principal.scopes).toEqual(['*']);
      expect(await fresh.core.bootstrap()).toBeNull();
      const hashes = await fresh.database.db.execute<{ secret_hash: string }>('select secret_hash from api_keys');
      expect(hashes).toHaveLength(1);
      expect(hashes[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hashes[0].secret_hash).not.toContain(boot!.secret);
    } finally {
      await fresh.close();
    }
  });
});

describe('projects', () => {
  it('are created, read, renamed, listed and deleted', async () => {
    const p = await t.core.projects.create(a.principal, { name: 'Second' });
    expect(p.id).toMatch(/^proj_/);
    expect(await t.core.projects.get(a.principal, p.id)).toMatchObject({ name: 'Second' });
    expect((await t.core.projects.update(a.principal, p.id, { name: 'Renamed' })).name).toBe('Renamed');
    const list = await t.core.projects.list(a.principal);
    expect(list.items.map((x) => x.id)).toEqual([a.projectId, p.id]);
    await t.core.projects.delete(a.principal, p.id);
    await expect(t.core.projects.get(a.principal, p.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('keep their last project', async () => {
    await expect(t.core.projects.delete(a.principal, a.projectId)).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('reject an empty name', async () => {
    await expect(t.core.projects.create(a.principal, { name: '  ' })).rejects.toMatchObject({ code: 'invalid_argument', field: 'name' });
  });

  it('take everything in them when deleted', async () => {
    const p = await t.core.projects.create(a.principal, { name: 'Doomed' });
    const actor = await t.core.actor(a.principal, p.id);
    const s = await t.core.schedules.create(actor, { url: 'https://e.com', cron: '* * * * *' });
    await t.core.projects.delete(a.principal, p.id);
    expect(await t.database.db.execute('select id from schedules where id = ?', [s.id])).toHaveLength(0);
  });
});

describe('keys', () => {
  it('show the secret once, store only its hash and authenticate by it', async () => {
    const { key, secret } = await t.core.keys.create(a.principal, { name: 'ci', scopes: ['read:jobs'] });
    expect(secret.startsWith(key.prefix)).toBe(true);
    expect(key).not.toHaveProperty('secretHash');
    const p = await t.core.authenticate(secret);
    expect(p).toMatchObject({ keyId: key.id, scopes: ['read:jobs'], keyProjectId: null });
  });

  it('record when they were last used, at most once a minute', async () => {
    const { key, secret } = await t.core.keys.create(a.principal, { name: 'used' });
    await t.core.authenticate(secret);
    const first = (await t.core.keys.list(a.principal)).items.find((k) => k.id === key.id)!;
    expect(first.lastUsedAt?.toISOString()).toBe(clock.now().toISOString());
    clock.advance(10_000);
    await t.core.authenticate(secret);
    expect((await t.core.keys.list(a.principal)).items.find((k) => k.id === key.id)!.lastUsedAt?.toISOString()).toBe(first.lastUsedAt?.toISOString());
    clock.advance(60_000);
    await t.core.authenticate(secret);
    expect((await t.core.keys.list(a.principal)).items.find((k) => k.id === key.id)!.lastUsedAt?.toISOString()).toBe(clock.now().toISOString());
  });

  it('stop working once revoked', async () => {
    const { key, secret } = await t.core.keys.create(a.principal, {});
    const revoked = await t.core.keys.revoke(a.principal, key.id);
    expect(revoked.revokedAt).not.toBeNull();
    await expect(t.core.authenticate(secret)).rejects.toBeInstanceOf(UnauthenticatedError);
    expect((await t.core.keys.revoke(a.principal, key.id)).revokedAt?.toISOString()).toBe(revoked.revokedAt?.toISOString());
  });

  it('reject unknown secrets and garbage alike', async () => {
    for (const s of ['', 'tock_nope', 'x'.repeat(5000), null]) {
      await expect(t.core.authenticate(s)).rejects.toBeInstanceOf(UnauthenticatedError);
    }
  });

  it('cannot grant more than the calling key has', async () => {
    const { secret } = await t.core.keys.create(a.principal, { scopes: ['write:projects', 'read:jobs'] });
    const limited = await t.core.authenticate(secret);
    await expect(t.core.keys.create(limited, { scopes: ['write:jobs'] })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(t.core.keys.create(limited, { scopes: ['read:jobs'] })).resolves.toBeTruthy();
    await expect(t.core.keys.create(a.principal, { scopes: ['admin'] })).rejects.toMatchObject({ code: 'invalid_argument', field: 'scopes' });
  });

  it('limited to a project see only that project', async () => {
    const p2 = await t.core.projects.create(a.principal, { name: 'P2' });
    const { secret } = await t.core.keys.create(a.principal, { projectId: p2.id, scopes: ['*'] });
    const scoped = await t.core.authenticate(secret);
    expect(scoped.keyProjectId).toBe(p2.id);
    expect((await t.core.projects.list(scoped)).items.map((p) => p.id)).toEqual([p2.id]);
    await expect(t.core.projects.get(scoped, a.projectId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.core.actor(scoped, a.projectId)).rejects.toBeInstanceOf(NotFoundError);
    expect((await t.core.actor(scoped)).projectId).toBe(p2.id);
    await expect(t.core.projects.create(scoped, { name: 'nope' })).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('without the needed scope are refused with permission_denied', async () => {
    const { secret } = await t.core.keys.create(a.principal, { scopes: ['read:jobs'] });
    const reader = await t.core.actor(await t.core.authenticate(secret));
    await expect(t.core.schedules.create(reader, { url: 'https://e.com', cron: '* * * * *' })).rejects.toMatchObject({
      code: 'permission_denied',
      message: "This key lacks the 'write:jobs' scope",
    });
    await expect(t.core.schedules.list(reader)).resolves.toBeTruthy();
    await expect(t.core.monitors.list(reader)).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});

describe('signing secrets', () => {
  it('are readable by project writers and rotate keeping the previous one until the next rotation', async () => {
    const before = await t.core.projects.getSigningSecrets(a.principal, a.projectId);
    expect(before.current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(before.previous).toBeNull();
    const rotated = await t.core.projects.rotateSigningSecret(a.principal, a.projectId);
    expect(rotated.previous).toBe(before.current);
    expect(rotated.current).not.toBe(before.current);
    expect(await t.core.projects.getSigningSecrets(a.principal, a.projectId)).toEqual(rotated);
    const dropped = await t.core.projects.rotateSigningSecret(a.principal, a.projectId, { keepPrevious: false });
    expect(dropped.previous).toBeNull();
    const { secret } = await t.core.keys.create(a.principal, { scopes: ['read:projects'] });
    await expect(t.core.projects.getSigningSecrets(await t.core.authenticate(secret), a.projectId)).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});
