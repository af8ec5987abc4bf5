import { describe, expect, it } from 'vitest';
import { TargetPolicy, TargetRefusedError, parseAllowList } from '../../../server/executor/index.js';

function refusal(fn: () => unknown): TargetRefusedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TargetRefusedError) return err;
    throw err;
  }
  throw new Error('expected a TargetRefusedError');
}

describe('TargetPolicy with an empty allow list', () => {
  const policy = new TargetPolicy([]);

  it.each([
    ['http://127.0.0.1/', /127\.0\.0\.1 is a loopback address/],
    ['http://127.255.0.9:8080/x', /loopback/],
    ['http://10.1.2.3/', /private-network/],
    ['http://172.16.0.1/', /private-network/],
    ['http://172.31.255.255/', /private-network/],
    ['http://192.168.1.1/', /private-network/],
    ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['http://169.254.1.1/', /link-local/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://100.127.255.254/', /carrier-grade NAT/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://224.0.0.1/', /multicast/],
    ['http://255.255.255.255/', /broadcast/],
    ['http://240.0.0.1/', /reserved/],
    ['http://[::1]/', /::1 is a loopback address/],
    ['http://[::]/', /unspecified/],
    ['http://[fc00::1]/', /unique-local/],
    ['http://[fd12:3456::1]/', /unique-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[::ffff:127.0.0.1]/', /127\.0\.0\.1 is a loopback address/],
    ['http://[::ffff:10.0.0.1]/', /10\.0\.0\.1 is a private-network address/],
    ['http://2130706433/', /127\.0\.0\.1 is a loopback/],
    ['http://0x7f000001/', /127\.0\.0\.1 is a loopback/],
    ['http://0177.0.0.1/', /127\.0\.0\.1 is a loopback/],
    ['http://127.1/', /127\.0\.0\.1 is a loopback/],
  ])('refuses %s as a non-public literal address', (url, message) => {
    const err = refusal(() => policy.checkUrl(url));
    expect(err.code).toBe('target_refused');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/allow it with TOCK_ALLOW_TARGETS/);
  });

  it.each(['ftp://example.com/file', 'file:///etc/passwd', 'gopher://example.com/', 'ws://example.com/'])(
    'refuses the non-http scheme of %s',
    (url) => {
      const err = refusal(() => policy.checkUrl(url));
      expect(err.message).toMatch(/use an http:\/\/ or https:\/\/ URL/);
    },
  );

  it.each(['http://93.184.216.34/', 'https://[2606:4700::1111]/', 'https://8.8.8.8:8443/path?q=1'])(
    'allows the public unicast address in %s',
    (url) => {
      expect(policy.checkUrl(url).href).toBe(new URL(url).href);
    },
  );

  it('lets host names through checkUrl because they are judged after DNS resolution', () => {
    expect(policy.checkUrl('http://localhost:3000/').hostname).toBe('localhost');
    expect(policy.checkUrl('https://example.com/hook').hostname).toBe('example.com');
  });

  it('rejects an unparsable URL with an invalid_url error rather than a refusal', () => {
    expect(() => policy.checkUrl('not a url')).toThrow(expect.objectContaining({ code: 'invalid_url' }));
  });

  it('names the host and the address it resolved to when refusing at connect time', () => {
    const err = refusal(() => policy.checkAddress('127.0.0.1', 'localhost'));
    expect(err.message).toBe('Target localhost resolved to 127.0.0.1, a loopback address; allow it with TOCK_ALLOW_TARGETS');
  });

  it('classifies IPv4-mapped IPv6 answers by their IPv4 address at connect time', () => {
    expect(policy.refusalFor('::ffff:192.168.0.1', 'evil.example')?.message).toMatch(/resolved to 192\.168\.0\.1, a private-network/);
    expect(policy.refusalFor('::ffff:93.184.216.34', 'ok.example')).toBeNull();
  });

  it('refuses an address that does not parse', () => {
    expect(policy.refusalFor('not-an-ip')?.message).toMatch(/not a valid IP/);
  });
});

describe('TargetPolicy allow list', () => {
  it('allows addresses inside an allowed IPv4 CIDR and nothing outside it', () => {
    const policy = new TargetPolicy(['127.0.0.0/8', '10.20.0.0/16']);
    expect(() => policy.checkUrl('http://127.0.0.1:8080/')).not.toThrow();
    expect(() => policy.checkUrl('http://10.20.3.4/')).not.toThrow();
    expect(() => policy.checkUrl('http://10.21.0.1/')).toThrow(TargetRefusedError);
    expect(() => policy.checkUrl('http://[::1]/')).toThrow(TargetRefusedError);
  });

  it('allows an IPv6 CIDR and a single IP entry', () => {
    const policy = new TargetPolicy(['::1/128', 'fd00::/8', '192.168.1.10']);
    expect(() => policy.checkUrl('http://[::1]/')).not.toThrow();
    expect(() => policy.checkUrl('http://[fd00::5]/')).not.toThrow();
    expect(() => policy.checkUrl('http://192.168.1.10/')).not.toThrow();
    expect(() => policy.checkUrl('http://192.168.1.11/')).toThrow(TargetRefusedError);
  });

  it('applies IPv4 rules to IPv4-mapped IPv6 targets and mapped rules to IPv4 targets', () => {
    expect(() => new TargetPolicy(['127.0.0.1']).checkUrl('http://[::ffff:127.0.0.1]/')).not.toThrow();
    expect(() => new TargetPolicy(['::ffff:10.0.0.0/104']).checkUrl('http://10.9.9.9/')).not.toThrow();
  });

  it('allows a host name entry for any address that host resolves to', () => {
    const policy = new TargetPolicy(['localhost']);
    expect(() => policy.checkAddress('127.0.0.1', 'localhost')).not.toThrow();
    expect(() => policy.checkAddress('::1', 'LOCALHOST.')).not.toThrow();
    expect(() => policy.checkAddress('127.0.0.1', 'other.example')).toThrow(TargetRefusedError);
    // A host name entry does not vouch for a literal IP URL.
    expect(() => policy.checkUrl('http://127.0.0.1/')).toThrow(TargetRefusedError);
  });

  it('matches a *.domain pattern against subdomains but not the bare domain or look-alikes', () => {
    const policy = new TargetPolicy(['*.internal.example']);
    expect(() => policy.checkAddress('10.0.0.1', 'api.internal.example')).not.toThrow();
    expect(() => policy.checkAddress('10.0.0.1', 'a.b.internal.example')).not.toThrow();
    expect(() => policy.checkAddress('10.0.0.1', 'internal.example')).toThrow(TargetRefusedError);
    expect(() => policy.checkAddress('10.0.0.1', 'evilinternal.example')).toThrow(TargetRefusedError);
  });

  it('rejects malformed entries when the policy is built', () => {
    expect(() => new TargetPolicy(['10.0.0.0/33'])).toThrow(/not a valid CIDR/);
    expect(() => new TargetPolicy(['http://x/'])).toThrow(/Invalid TOCK_ALLOW_TARGETS entry/);
  });

  it('parses a comma or whitespace separated TOCK_ALLOW_TARGETS value', () => {
    expect(parseAllowList(' 127.0.0.0/8, localhost  *.svc.cluster.local,')).toEqual([
      '127.0.0.0/8',
      'localhost',
      '*.svc.cluster.local',
    ]);
    expect(parseAllowList(undefined)).toEqual([]);
    expect(() => TargetPolicy.fromList('::1/128,localhost').checkUrl('http://[::1]/')).not.toThrow();
  });
});

describe('TargetPolicy and IPv6 forms that carry an IPv4 address', () => {
  const policy = new TargetPolicy([]);

  it.each([
    ['http://[::127.0.0.1]/', /::7f00:1 \(which carries 127\.0\.0\.1\) is a loopback address/],
    ['http://[::7f00:1]/', /carries 127\.0\.0\.1\) is a loopback/],
    ['http://[::10.0.0.1]/', /carries 10\.0\.0\.1\) is a private-network/],
    ['http://[::ffff:0:127.0.0.1]/', /carries 127\.0\.0\.1\) is a loopback/],
    ['http://[64:ff9b::127.0.0.1]/', /64:ff9b::7f00:1 \(which carries 127\.0\.0\.1\) is a loopback/],
    ['http://[64:ff9b::169.254.169.254]/', /carries 169\.254\.169\.254\) is the link-local cloud metadata address/],
    ['http://[2002:7f00:1::]/', /2002:7f00:1:: \(which carries 127\.0\.0\.1\) is a loopback/],
    ['http://[2002:c0a8:101::1]/', /carries 192\.168\.1\.1\) is a private-network/],
    ['http://[::0.0.0.2]/', /carries 0\.0\.0\.2\) is the unspecified address/],
  ])('refuses %s in checkUrl as the IPv4 address it carries', (url, message) => {
    expect(refusal(() => policy.checkUrl(url)).message).toMatch(message);
  });

  it('judges the same forms the same way at connect time, as a resolved answer', () => {
    expect(policy.refusalFor('::7f00:1', 'evil.example')?.message).toBe(
      'Target evil.example resolved to ::7f00:1 (which carries 127.0.0.1), a loopback address; allow it with TOCK_ALLOW_TARGETS',
    );
    expect(policy.refusalFor('64:ff9b::a00:1')?.message).toBe(
      'Target 64:ff9b::a00:1 (which carries 10.0.0.1) is a private-network address; allow it with TOCK_ALLOW_TARGETS',
    );
    expect(policy.refusalFor('2002:a9fe:a9fe::1', 'x.example')?.message).toMatch(/cloud metadata/);
  });

  it('lets through a form carrying a public address, and keeps :: and ::1 as IPv6 unspecified and loopback', () => {
    expect(() => policy.checkUrl('http://[64:ff9b::8.8.8.8]/')).not.toThrow();
    expect(() => policy.checkUrl('http://[2002:808:808::1]/')).not.toThrow();
    expect(policy.refusalFor('::')?.message).toBe('Target :: is the unspecified address; allow it with TOCK_ALLOW_TARGETS');
    expect(policy.refusalFor('::1')?.message).toBe('Target ::1 is a loopback address; allow it with TOCK_ALLOW_TARGETS');
  });

  it('applies IPv4 rules of the allow list to the address a form carries, and IPv6 rules to the form as written', () => {
    const v4 = new TargetPolicy(['127.0.0.0/8']);
    expect(() => v4.checkUrl('http://[::127.0.0.1]/')).not.toThrow();
    expect(() => v4.checkUrl('http://[64:ff9b::127.0.0.1]/')).not.toThrow();
    expect(() => v4.checkUrl('http://[64:ff9b::10.0.0.1]/')).toThrow(TargetRefusedError);
    const nat64 = new TargetPolicy(['64:ff9b::/96']);
    expect(() => nat64.checkUrl('http://[64:ff9b::10.0.0.1]/')).not.toThrow();
    expect(() => nat64.checkUrl('http://10.0.0.1/')).toThrow(TargetRefusedError);
  });
});
