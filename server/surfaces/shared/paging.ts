import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../core/paging.js';
import type { Page, PageRequest } from '../../core/types.js';

/**
 * Lists page by an opaque cursor (the core's page token). A surface asks for a page with its
 * own size and cursor and answers `{ items, nextPageToken }` in its own spelling (gRPC
 * `next_page_token` "" on the last page, tRPC null, a dialect's `cursor` or `next`).
 */

/** How many items a surface's page holds: `defaultSize` when not asked, at most `maxSize`. */
export interface PageLimits {
  defaultSize: number;
  maxSize: number;
}

/** Tock's own (gRPC, tRPC). A dialect whose document states other limits passes those; the core's maximum caps every page. */
export const TOCK_PAGE_LIMITS: PageLimits = { defaultSize: DEFAULT_PAGE_SIZE, maxSize: MAX_PAGE_SIZE };

/**
 * The core's page request for a surface's page size and cursor: absent or 0 is the default,
 * larger than the maximum is the maximum, and "" is the first page. A size that is negative or
 * not whole goes on to the core, which refuses it naming `page_size`.
 */
export function pageRequest(size: number | null | undefined, cursor: string | null | undefined, limits: PageLimits = TOCK_PAGE_LIMITS): PageRequest {
  return { pageSize: size ? Math.min(size, limits.maxSize) : limits.defaultSize, pageToken: cursor || null };
}

/** A core page with each item rendered by `one`. */
export function pageResponse<T, W>(page: Page<T>, one: (item: T) => W): Page<W> {
  return { items: page.items.map(one), nextPageToken: page.nextPageToken };
}
