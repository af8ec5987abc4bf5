import { describe, expect, it } from 'vitest';
import { apiKeyOf, clientAddress, identityOf, nodeHeaders } from '../../../server/surfaces/shared/identity.js';

const headers = (h: Record<string, string | string[]>) => nodeHeaders(h);

describe('reading the caller from headers', () => {
  it('takes the key from Authorization: Bearer before X-API-Key', () => {
    expect(apiKeyOf(headers({ authorization: 'Bearer tock_a', 'x-api-key': 'tock_b' }))).toBe('tock_a');
    expect(apiKeyOf(headers({ 'x-api-key': 'tock_b' }))).toBe('tock_b');
  });

  it('reads the Bearer scheme case-insensitively and ignores surrounding blanks', () => {
    expect(apiKeyOf(headers({ authorization: '  bearer   tock_a  ' }))).toBe('tock_a');
    expect(apiKeyOf(headers({ authorization: 'BEARER tock_a' }))).toBe('tock_a');
  });

  it('falls back to X-API-Key when Authorization is another scheme or malformed', () => {
    expect(apiKeyOf(headers({ authorization: 'Basic dTpw', 'x-api-key': 'tock_b' }))).toBe('tock_b');
    expect(apiKeyOf(headers({ authorization: 'Bearer two words', 'x-api-key': 'tock_b' }))).toBe('tock_b');
    expect(apiKeyOf(headers({ authorization: 'Bearer' }))).toBeNull();
  });

  it('has no key when the headers are absent or blank', () => {
    expect(apiKeyOf(headers({}))).toBeNull();
    expect(apiKeyOf(headers({ 'x-api-key': '   ' }))).toBeNull();
  });

  it('uses the first value of a repeated header', () => {
    expect(apiKeyOf(headers({ 'x-api-key': ['tock_first', 'tock_second'] }))).toBe('tock_first');
  });

  it('reads the requested project, user agent and client address', () => {
    expect(identityOf(headers({ 'x-tock-project': ' proj_1 ', 'user-agent': 'curl/8' }), '::ffff:10.0.0.7')).toEqual({
      apiKey: null,
      projectId: 'proj_1',
      clientIp: '10.0.0.7',
      userAgent: 'curl/8',
    });
  });

  it('keeps real IPv6 addresses and has no address when the transport gives none', () => {
    expect(clientAddress('::1')).toBe('::1');
    expect(clientAddress('2001:db8::ffff:1.2.3.4')).toBe('2001:db8::ffff:1.2.3.4');
    expect(clientAddress(undefined)).toBeNull();
  });
});
