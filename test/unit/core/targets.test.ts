import { describe, expect, it } from 'vitest';
import { InvalidUrlError } from '../../../server/core/errors.js';
import { classifyAddress, literalTargetRefusal, TargetAllowList } from '../../../server/core/targets.js';
import { checkHttpUrl } from '../../../server/core/validation.js';

describe('the shared address classifier', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1', 'loopback'],
    ['[::ffff:127.0.0.1]', '127.0.0.1', 'loopback'],
    ['::7f00:1', '127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', '169.254.169.254', 'linkLocal'],
    ['2002:0a00:0001::', '10.0.0.1', 'private'],
    ['::1', '::1', 'loopback'],
    ['2606:4700::1111', '2606:4700::1111', 'unicast'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
  ])('classes %s as %s (%s)', (ip, judged, range) => {
    const c = classifyAddress(ip)!;
    expect(c.judged.toString()).toBe(judged);
    expect(c.range).toBe(range);
    expect(c.isPublic).toBe(range === 'unicast');
  });

  it('is not asked about host names', () => {
    expect(classifyAddress('example.com')).toBeNull();
    expect(literalTargetRefusal('localhost', new TargetAllowList([]))).toBeNull();
  });
});

describe('checkHttpUrl with the allow list the core is given', () => {
  it('refuses a literal non-public address with invalid_url naming the field, and allows it once allow-listed', () => {
    let err: unknown;
    try {
      checkHttpUrl('http://[::127.0.0.1]:8080/hook', 'alert_webhook');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidUrlError);
    expect(err).toMatchObject({ code: 'invalid_url', field: 'alert_webhook' });
    expect((err as Error).message).toBe(
      "Invalid URL 'http://[::127.0.0.1]:8080/hook': Target ::7f00:1 (which carries 127.0.0.1) is a loopback address; allow it with TOCK_ALLOW_TARGETS",
    );
    expect(checkHttpUrl('http://[::127.0.0.1]:8080/hook', 'url', new TargetAllowList(['127.0.0.1/32']))).toBe('http://[::7f00:1]:8080/hook');
  });

  it('leaves host names to the connect-time check, even ones that will resolve to loopback', () => {
    expect(checkHttpUrl('http://localhost:8080/')).toBe('http://localhost:8080/');
  });
});
