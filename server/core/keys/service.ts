import { z } from 'zod';
import { ApiKeyEntity, ProjectEntity, type ApiKeyRow } from '../../store/entities.js';
import { hashSecret, newApiKeySecret, secretPrefix } from '../auth/secrets.js';
import { hasScope, parseScopes, requireScope } from '../auth/scopes.js';
import type { CoreDeps } from '../deps.js';
import { NotFoundError, PermissionDeniedError, UnauthenticatedError } from '../errors.js';
import { isId, newId } from '../ids.js';
import { findPage } from '../../store/pages.js';
import { findKeyByHash, touchKey } from '../../store/statements/keys.js';
import type { AuthCaches } from '../auth/cache.js';
import type { ApiKey, Page, PageRequest, Principal, Scope } from '../types.js';
import { idText, name, parse } from '../validation.js';

export const keyInput = z
  .object({
    name: name.optional(),
    projectId: idText.nullish(),
    scopes: z.array(idText).max(20, 'at most 20 scopes').nullish(),
  })
  .strict();
export type KeyInput = z.input<typeof keyInput>;

export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    accountId: row.accountId,
    projectId: row.projectId,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/** last_used_at is written at most this often per key. */
const TOUCH_EVERY_MS = 60_000;

export class KeyService {
  constructor(
    private readonly deps: CoreDeps,
    private readonly caches: AuthCaches,
  ) {}

  /**
   * Checks a presented secret. Unknown and revoked keys fail alike. The secret is compared by
   * looking up its SHA-256, so no timing difference depends on how much of it matched. Known
   * keys are cached (see AuthCaches): the database is read once per key per TTL, and
   * `last_used_at` is written only on such a read, when it is over a minute old.
   */
  async authenticate(secret: string | null | undefined): Promise<Principal> {
    if (!secret || secret.length > 200) throw new UnauthenticatedError();
    const principal = await this.caches.principals.get(hashSecret(secret), (hash) => this.lookup(hash));
    if (!principal) throw new UnauthenticatedError();
    return principal;
  }

  /** Distinct keys cached on this node (bounded by AUTH_CACHE_MAX_ENTRIES). */
  get cachedKeys(): number {
    return this.caches.principals.size;
  }

  private async lookup(secretHash: string): Promise<Principal | null> {
    const row = await findKeyByHash(this.deps.db, secretHash);
    if (!row || row.revoked) return null;
    const now = this.deps.clock.now();
    if (row.lastUsedAtMs === null || now.getTime() - row.lastUsedAtMs > TOUCH_EVERY_MS) {
      await touchKey(this.deps.db, row.id, now, new Date(now.getTime() - TOUCH_EVERY_MS));
    }
    // Shared by every request that hits the cache: frozen, so none can change it for the others.
    return Object.freeze({ accountId: row.accountId, keyId: row.id, keyProjectId: row.projectId, scopes: Object.freeze(row.scopes) });
  }

  /** Creates a key without a caller (first start, `tock keys create`). */
  async createUnchecked(input: { accountId: string; projectId?: string | null; name?: string; scopes?: Scope[] }): Promise<{ key: ApiKey; secret: string }> {
    const secret = newApiKeySecret();
    const row: ApiKeyRow = {
      id: newId('key'),
      accountId: input.accountId,
      projectId: input.projectId ?? null,
      name: input.name ?? 'key',
      prefix: secretPrefix(secret),
      secretHash: hashSecret(secret),
      scopes: input.scopes && input.scopes.length ? input.scopes : ['*'],
      createdAt: this.deps.clock.now(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.deps.db.em().insert(ApiKeyEntity, row);
    return { key: toApiKey(row), secret };
  }

  /** A key can only hand out what it has: its own project limit and a subset of its scopes. */
  async create(principal: Principal, input: KeyInput): Promise<{ key: ApiKey; secret: string }> {
    requireScope(principal.scopes, 'write:projects');
    const p = parse(keyInput, input);
    const scopes = parseScopes(p.scopes);
    for (const s of scopes) {
      if (!hasScope(principal.scopes, s)) throw new PermissionDeniedError(s, `Cannot grant scope '${s}': the calling key does not have it`);
    }
    let projectId = p.projectId ?? null;
    if (principal.keyProjectId) {
      if (projectId && projectId !== principal.keyProjectId) throw new NotFoundError('project', projectId);
      projectId = principal.keyProjectId;
    }
    if (projectId) {
      const owned = isId('project', projectId) && (await this.deps.db.em().count(ProjectEntity, { id: projectId, accountId: principal.accountId }));
      if (!owned) throw new NotFoundError('project', projectId);
    }
    return this.createUnchecked({ accountId: principal.accountId, projectId, name: p.name, scopes });
  }

  async list(principal: Principal, page: PageRequest = {}): Promise<Page<ApiKey>> {
    requireScope(principal.scopes, 'read:projects');
    const rows = await findPage(
      this.deps.db.em(),
      ApiKeyEntity,
      { accountId: principal.accountId, ...(principal.keyProjectId ? { projectId: principal.keyProjectId } : {}) },
      page,
      'asc',
    );
    return { items: rows.items.map(toApiKey), nextPageToken: rows.nextPageToken };
  }

  /** Revoking is permanent and idempotent; the key stops working at once. */
  async revoke(principal: Principal, id: string): Promise<ApiKey> {
    requireScope(principal.scopes, 'write:projects');
    const em = this.deps.db.em();
    const row = isId('key', id) ? await em.findOne(ApiKeyEntity, { id, accountId: principal.accountId }) : null;
    if (!row || (principal.keyProjectId && row.projectId !== principal.keyProjectId)) throw new NotFoundError('key', id);
    if (!row.revokedAt) {
      const now = this.deps.clock.now();
      await em.nativeUpdate(ApiKeyEntity, { id, revokedAt: null }, { revokedAt: now });
      row.revokedAt = now;
    }
    // After the update: a lookup from now on reads the revoked row (other nodes: within the TTL).
    this.caches.principals.delete(row.secretHash);
    return toApiKey(row);
  }

  async countAll(): Promise<number> {
    return this.deps.db.em().count(ApiKeyEntity, {});
  }
}
