/**
 * Authentication's statements on `api_keys` (run on a cache miss, see core/keys/service.ts):
 * the key behind a secret's hash, and the conditional `last_used_at` touch.
 */
import type { Scope } from '../../core/types.js';
import type { Database } from '../database.js';
import { jsonOf, msColumn } from './columns.js';

const BY_HASH_SQL = `select id, account_id, project_id, scopes, ${msColumn('last_used_at')}, revoked_at is not null as revoked
  from api_keys where secret_hash = $1`;

// Conditional: of concurrent touches (several requests, several nodes) only one writes.
const TOUCH_SQL = `update api_keys set last_used_at = $2::timestamptz
 where id = $1 and (last_used_at is null or last_used_at < $3::timestamptz)`;

export interface KeyForAuth {
  id: string;
  accountId: string;
  projectId: string | null;
  scopes: Scope[];
  lastUsedAtMs: number | null;
  revoked: boolean;
}

export async function findKeyByHash(db: Database, secretHash: string): Promise<KeyForAuth | null> {
  const [r] = await db.query<{
    id: string;
    account_id: string;
    project_id: string | null;
    scopes: Scope[] | string;
    last_used_at: number | null;
    revoked: boolean;
  }>(BY_HASH_SQL, [secretHash], 'tock_key_by_hash');
  if (!r) return null;
  return { id: r.id, accountId: r.account_id, projectId: r.project_id, scopes: jsonOf(r.scopes), lastUsedAtMs: r.last_used_at, revoked: r.revoked };
}

/** Sets `last_used_at = now` unless it is already at or after `notBefore`. */
export async function touchKey(db: Database, id: string, now: Date, notBefore: Date): Promise<void> {
  await db.query(TOUCH_SQL, [id, now.toISOString(), notBefore.toISOString()], 'tock_key_touch');
}
