import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SigningSecretError,
  WebhookVerificationError,
  decodeSigningSecret,
  generateSigningSecret,
  signPayload,
  verifySignature,
} from '../../../server/executor/index.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('signPayload', () => {
  it('reproduces the published Standard Webhooks test vector', () => {
    const headers = signPayload({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      secrets: [SECRET],
    });
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('signs "id.timestamp.body" with the base64-decoded secret as the HMAC-SHA256 key', () => {
    const key = Buffer.alloc(32, 7);
    const secret = 'whsec_' + key.toString('base64');
    const body = '{"job":"nightly","ü":true}';
    const expected = createHmac('sha256', key).update(`run_42.1700000000.${body}`, 'utf8').digest('base64');

    const headers = signPayload({ id: 'run_42', timestamp: 1700000000, body, secrets: [secret] });

    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('emits one space-separated v1 signature per secret, in order, for rotation', () => {
    const oldSecret = generateSigningSecret();
    const newSecret = generateSigningSecret();
    const input = { id: 'msg_1', timestamp: 1700000000, body: 'hello' };

    const both = signPayload({ ...input, secrets: [oldSecret, newSecret] })['webhook-signature'];
    const onlyOld = signPayload({ ...input, secrets: [oldSecret] })['webhook-signature'];
    const onlyNew = signPayload({ ...input, secrets: [newSecret] })['webhook-signature'];

    expect(both).toBe(`${onlyOld} ${onlyNew}`);
    expect(both.split(' ')).toHaveLength(2);
  });

  it('refuses to sign without a secret or with a malformed one', () => {
    expect(() => signPayload({ id: 'a', timestamp: 1, body: '', secrets: [] })).toThrow(SigningSecretError);
    expect(() => signPayload({ id: 'a', timestamp: 1, body: '', secrets: ['whsec_!!!'] })).toThrow(SigningSecretError);
    expect(() => signPayload({ id: 'a', timestamp: 1, body: '', secrets: ['whsec_' + Buffer.alloc(8).toString('base64')] })).toThrow(
      /decodes to 8 bytes/,
    );
  });
});

describe('generateSigningSecret', () => {
  it('produces distinct whsec_ secrets of 32 random bytes by default', () => {
    const a = generateSigningSecret();
    const b = generateSigningSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(a).not.toBe(b);
    expect(decodeSigningSecret(a)).toHaveLength(32);
    expect(decodeSigningSecret(generateSigningSecret(24))).toHaveLength(24);
  });
});

describe('verifySignature', () => {
  const now = new Date(1_700_000_100_000);
  const timestamp = 1_700_000_000;
  const body = '{"ok":true}';
  const headers = signPayload({ id: 'msg_v', timestamp, body, secrets: [SECRET] });

  it('accepts an untouched delivery within the tolerance', () => {
    expect(verifySignature(SECRET, headers, body, { now })).toBe(true);
    expect(verifySignature(SECRET, headers, Buffer.from(body), { now })).toBe(true);
  });

  it('accepts a delivery signed with several secrets using any one of them', () => {
    const other = generateSigningSecret();
    const rotated = signPayload({ id: 'msg_v', timestamp, body, secrets: [other, SECRET] });
    expect(verifySignature(SECRET, rotated, body, { now })).toBe(true);
    expect(verifySignature(other, rotated, body, { now })).toBe(true);
  });

  it('rejects a tampered body', () => {
    expect(verifySignature(SECRET, headers, '{"ok":false}', { now })).toBe(false);
  });

  it('rejects a tampered id or timestamp', () => {
    expect(verifySignature(SECRET, { ...headers, 'webhook-id': 'msg_w' }, body, { now })).toBe(false);
    expect(verifySignature(SECRET, { ...headers, 'webhook-timestamp': String(timestamp + 1) }, body, { now })).toBe(false);
  });

  it('rejects the signature under the wrong secret', () => {
    expect(verifySignature(generateSigningSecret(), headers, body, { now })).toBe(false);
  });

  it('throws timestamp_too_old for a delivery older than the tolerance', () => {
    const later = new Date((timestamp + 301) * 1000);
    expect(() => verifySignature(SECRET, headers, body, { now: later })).toThrow(
      expect.objectContaining({ reason: 'timestamp_too_old', message: expect.stringMatching(/301s old/) }),
    );
    expect(verifySignature(SECRET, headers, body, { now: later, toleranceSeconds: 600 })).toBe(true);
  });

  it('throws timestamp_too_new for a delivery from the future', () => {
    const earlier = new Date((timestamp - 301) * 1000);
    expect(() => verifySignature(SECRET, headers, body, { now: earlier })).toThrow(WebhookVerificationError);
  });

  it('throws for missing headers and malformed timestamps', () => {
    expect(() => verifySignature(SECRET, { 'webhook-id': 'x' }, body, { now })).toThrow(
      expect.objectContaining({ reason: 'missing_header' }),
    );
    expect(() => verifySignature(SECRET, { ...headers, 'webhook-timestamp': '17e8' }, body, { now })).toThrow(
      expect.objectContaining({ reason: 'invalid_timestamp' }),
    );
  });

  it('reads headers case-insensitively from records and from Fetch Headers', () => {
    const upper = {
      'Webhook-Id': headers['webhook-id'],
      'Webhook-Timestamp': headers['webhook-timestamp'],
      'Webhook-Signature': headers['webhook-signature'],
    };
    expect(verifySignature(SECRET, upper, body, { now })).toBe(true);
    expect(verifySignature(SECRET, new Headers(upper), body, { now })).toBe(true);
  });

  it('ignores signature entries of other versions or with garbage', () => {
    const sig = headers['webhook-signature'];
    const mixed = { ...headers, 'webhook-signature': `v1a,AAAA v2,${sig.slice(3)} junk ${sig}` };
    expect(verifySignature(SECRET, mixed, body, { now })).toBe(true);
    const noV1 = { ...headers, 'webhook-signature': `v2,${sig.slice(3)}` };
    expect(verifySignature(SECRET, noV1, body, { now })).toBe(false);
  });
});
