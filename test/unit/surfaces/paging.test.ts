import { describe, expect, it } from 'vitest';
import { pageSize } from '../../../server/core/paging.js';
import { pageRequest, pageResponse, TOCK_PAGE_LIMITS } from '../../../server/surfaces/shared/paging.js';

describe('page requests of a surface', () => {
  it("uses Tock's default and maximum unless a surface states its own", () => {
    expect(pageRequest(0, '')).toEqual({ pageSize: TOCK_PAGE_LIMITS.defaultSize, pageToken: null });
    expect(pageRequest(10_000, 'tok')).toEqual({ pageSize: TOCK_PAGE_LIMITS.maxSize, pageToken: 'tok' });
    expect(pageRequest(undefined, null, { defaultSize: 20, maxSize: 100 })).toEqual({ pageSize: 20, pageToken: null });
    expect(pageRequest(500, undefined, { defaultSize: 20, maxSize: 100 })).toEqual({ pageSize: 100, pageToken: null });
    expect(pageRequest(7, undefined, { defaultSize: 20, maxSize: 100 }).pageSize).toBe(7);
  });

  it('leaves a negative size for the core to refuse, naming page_size', () => {
    const req = pageRequest(-5, '');
    expect(() => pageSize(req.pageSize)).toThrow(/^page_size: /);
  });

  it('renders each item of a page and keeps its cursor', () => {
    expect(pageResponse({ items: [1, 2], nextPageToken: 'next' }, (n) => `#${n}`)).toEqual({ items: ['#1', '#2'], nextPageToken: 'next' });
  });
});
