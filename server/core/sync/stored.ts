import type { EntitySchema, FilterQuery } from '@mikro-orm/core';
import type { Database } from '../../store/database.js';

/**
 * Reads a project's keyed objects of one kind in a few statements, whatever their number: the
 * named keys in chunks of `CHUNK`, or (for a prune) every object with a key, a page of `CHUNK`
 * at a time by id. A sync of thousands of unchanged objects costs these reads and nothing else.
 */
const CHUNK = 1_000;

export async function loadKeyed<T extends { id: string; projectId: string }, K extends keyof T & string>(
  db: Database,
  entity: EntitySchema<T>,
  projectId: string,
  keyField: K,
  keys: readonly string[] | 'all',
): Promise<T[]> {
  const em = db.em();
  const out: T[] = [];
  if (keys !== 'all') {
    for (let i = 0; i < keys.length; i += CHUNK) {
      const where = { projectId, [keyField]: { $in: keys.slice(i, i + CHUNK) } } as FilterQuery<T>;
      out.push(...((await em.find(entity, where)) as T[]));
    }
    return out;
  }
  let after: string | null = null;
  for (;;) {
    const where = { projectId, [keyField]: { $ne: null }, ...(after ? { id: { $gt: after } } : {}) } as FilterQuery<T>;
    const page = (await em.find(entity, where, { orderBy: { id: 'asc' } as never, limit: CHUNK + 1 })) as T[];
    out.push(...page.slice(0, CHUNK));
    if (page.length <= CHUNK) return out;
    after = page[CHUNK - 1].id;
  }
}
