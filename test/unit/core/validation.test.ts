import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hasScope, parseScopes } from '../../../server/core/auth/scopes.js';
import { InvalidArgumentError, InvalidPageTokenError, InvalidUrlError } from '../../../server/core/errors.js';
import { TargetAllowList } from '../../../server/core/targets.js';
import { decodePageToken, encodePageToken, pageSize } from '../../../server/core/paging.js';
import { body, checkHttpUrl, fieldPath, name, parse } from '../../../server/core/validation.js';

describe('input parsing', () => {
  it('names the offending field in snake_case', () => {
    const schema = z.object({ retryBackoffMs: z.number(), headers: z.record(z.string(), z.string()) }).strict();
    expect(() => parse(schema, { retryBackoffMs: 'x', headers: {} })).toThrow(/^retry_backoff_ms: /);
    try {
      parse(schema, { headers: {} });
    } catch (e) {
      expect((e as InvalidArgumentError).field).toBe('retry_backoff_ms');
      expect((e as Error).message).toBe('retry_backoff_ms: is required');
    }
    expect(() => parse(schema, { retryBackoffMs: 1, headers: {}, colour: 'red' })).toThrow('Unknown field: colour');
    expect(fieldPath(['expectedStatus', 2])).toBe('expected_status[2]');
  });

  it('refuses NUL in names and bodies (PostgreSQL text cannot hold it)', () => {
    expect(() => parse(z.object({ name }), { name: 'a\u0000b' })).toThrow('name: must not contain NUL characters');
    expect(() => parse(z.object({ body }), { body: '{"x":"\u0000"}' })).toThrow('body: must not contain NUL characters');
    expect(parse(z.object({ name }), { name: ' ok ' })).toEqual({ name: 'ok' });
  });

  it('accepts only absolute http(s) URLs without credentials', () => {
    expect(checkHttpUrl('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(() => checkHttpUrl('example.com')).toThrow(InvalidUrlError);
    expect(() => checkHttpUrl('ftp://example.com/')).toThrow("scheme 'ftp' is not allowed");
    expect(() => checkHttpUrl('https://u:p@example.com/')).toThrow('credentials in the URL');
    expect(() => checkHttpUrl('https://example.com/' + 'a'.repeat(3000))).toThrow('longer than 2048');
  });

  it('judges a URL seen before by the same allow list the same way, and by another list afresh', () => {
    const loopback = new TargetAllowList(['127.0.0.1/32']);
    for (let i = 0; i < 3; i++) {
      expect(checkHttpUrl('HTTP://127.0.0.1:9/Hook', 'url', loopback)).toBe('http://127.0.0.1:9/Hook');
      expect(() => checkHttpUrl('http://127.0.0.1:9/Hook', 'webhook_url')).toThrow(InvalidUrlError);
      expect(() => checkHttpUrl('http://127.0.0.1:9/Hook', 'webhook_url')).toThrow(expect.objectContaining({ field: 'webhook_url' }));
      expect(() => checkHttpUrl('http://10.0.0.1/', 'url', loopback)).toThrow('private');
    }
  });
});

describe('paging', () => {
  it('round-trips page tokens and rejects forged ones', () => {
    const id = 'job_01jabcdefghjkmnpqrstvwxyz0';
    expect(decodePageToken(encodePageToken(id))).toBe(id);
    expect(decodePageToken('')).toBeNull();
    expect(() => decodePageToken('garbage')).toThrow(InvalidPageTokenError);
    expect(() => decodePageToken(Buffer.from("v1:x' or 1=1").toString('base64url'))).toThrow(InvalidPageTokenError);
  });

  it('defaults and caps the page size', () => {
    expect(pageSize(undefined)).toBe(50);
    expect(pageSize(0)).toBe(50);
    expect(pageSize(10_000)).toBe(200);
    expect(() => pageSize(-1)).toThrow('page_size');
  });
});

describe('scopes', () => {
  it('lets * grant all and write imply read', () => {
    expect(hasScope(['*'], 'write:jobs')).toBe(true);
    expect(hasScope(['write:jobs'], 'read:jobs')).toBe(true);
    expect(hasScope(['read:jobs'], 'write:jobs')).toBe(false);
    expect(hasScope(['write:monitors'], 'read:jobs')).toBe(false);
  });

  it('rejects unknown scopes by name', () => {
    expect(() => parseScopes(['read:jobs', 'admin'])).toThrow("unknown scope 'admin'");
    expect(parseScopes([])).toEqual(['*']);
  });
});
