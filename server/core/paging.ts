import { InvalidArgumentError, InvalidPageTokenError } from './errors.js';
import type { Page } from './types.js';
import { LIMITS } from './validation.js';

/** Cursor pagination over time-ordered ids: a page is `id > cursor` (or `<` for newest-first lists). */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export function pageSize(requested: number | null | undefined): number {
  if (requested === null || requested === undefined || requested === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 0) {
    throw new InvalidArgumentError('page_size: must be a positive integer', 'page_size');
  }
  return Math.min(requested, MAX_PAGE_SIZE);
}

/** Page tokens are opaque to callers: base64url of the last id of the previous page. */
export function encodePageToken(lastId: string): string {
  return Buffer.from(`v1:${lastId}`).toString('base64url');
}

export function decodePageToken(token: string | null | undefined): string | null {
  if (!token) return null;
  // Tokens this server hands out are about 44 characters; a much longer one was never one.
  if (token.length > LIMITS.pageToken) throw new InvalidPageTokenError();
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (!decoded.startsWith('v1:') || !/^[a-z]+_[0-9a-z]{26}$/.test(decoded.slice(3))) throw new InvalidPageTokenError();
  return decoded.slice(3);
}

/** Builds a page from `limit + 1` rows: the extra row only tells that another page exists. */
export function pageOf<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { items: rows, nextPageToken: null };
  const items = rows.slice(0, limit);
  return { items, nextPageToken: encodePageToken(items[items.length - 1].id) };
}
