import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { decodePageToken, pageOf, pageSize } from '../core/paging.js';
import type { Page, PageRequest } from '../core/types.js';

/**
 * One page of rows by cursor over time-ordered ids: `asc` lists oldest first (resources),
 * `desc` newest first (history). Reads one row more than the page to know whether another
 * page exists, so no count query runs.
 */
export async function findPage<T extends { id: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  page: PageRequest,
  order: 'asc' | 'desc',
): Promise<Page<T>> {
  const limit = pageSize(page.pageSize);
  const cursor = decodePageToken(page.pageToken);
  const byCursor = cursor ? { id: order === 'asc' ? { $gt: cursor } : { $lt: cursor } } : {};
  const rows = (await em.find(entity, { $and: [where, byCursor] } as FilterQuery<T>, {
    orderBy: { id: order } as never,
    limit: limit + 1,
  })) as T[];
  return pageOf(rows, limit);
}
