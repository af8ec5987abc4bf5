import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError, type WebhookVerificationReason } from '../../../client/src/index.js';
import { signPayload } from '../../../server/executor/signing.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const now = new Date('2026-05-01T12:00:00Z');
const nowSeconds = Math.floor(now.getTime() / 1000);
const body = JSON.stringify({ type: 'job.completed', data: { jobId: 'job_01', status: 'succeeded' } });

/** Signs as the Standard Webhooks spec says, independently of the client and the server code. */
function sign(key: string, id: string, timestamp: number, payload: string): string {
  const raw = Buffer.from(key.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', raw).update(`${id}.${timestamp}.${payload}`).digest('base64')}`;
}

function headersFor(opts: { id?: string; timestamp?: number; signature?: string; payload?: string } = {}) {
  const id = opts.id ?? 'msg_2Lh9';
  const timestamp = opts.timestamp ?? nowSeconds;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': opts.signature ?? sign(secret, id, timestamp, opts.payload ?? body),
  };
}

function reasonOf(fn: () => unknown): WebhookVerificationReason | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookVerificationError);
    return (err as WebhookVerificationError).reason;
  }
}

describe('verifyWebhook', () => {
  it('accepts a valid signature and returns the parsed payload', () => {
    expect(verifyWebhook(secret, headersFor(), body, { now })).toEqual({ type: 'job.completed', data: { jobId: 'job_01', status: 'succeeded' } });
  });

  it('accepts the raw body as bytes and headers as a Fetch Headers object', () => {
    const headers = new Headers(headersFor());
    expect(verifyWebhook(secret, headers, Buffer.from(body), { now })).toMatchObject({ type: 'job.completed' });
    expect(verifyWebhook(secret, headers, new TextEncoder().encode(body), { now })).toMatchObject({ type: 'job.completed' });
  });

  it('matches header names case-insensitively in a plain record', () => {
    const h = headersFor();
    const shouted = { 'Webhook-Id': h['webhook-id'], 'WEBHOOK-TIMESTAMP': h['webhook-timestamp'], 'Webhook-Signature': h['webhook-signature'] };
    expect(verifyWebhook(secret, shouted, body, { now })).toBeTypeOf('object');
  });

  it('returns a non-JSON body as text and an empty body as undefined', () => {
    expect(verifyWebhook(secret, headersFor({ payload: 'plain text' }), 'plain text', { now })).toBe('plain text');
    expect(verifyWebhook(secret, headersFor({ payload: '' }), '', { now })).toBeUndefined();
  });

  it('rejects a tampered body', () => {
    expect(reasonOf(() => verifyWebhook(secret, headersFor(), body.replace('succeeded', 'failed'), { now }))).toBe('invalid_signature');
  });

  it('rejects a tampered id, which is part of the signed content', () => {
    const h = { ...headersFor(), 'webhook-id': 'msg_other' };
    expect(reasonOf(() => verifyWebhook(secret, h, body, { now }))).toBe('invalid_signature');
  });

  it('rejects a timestamp older than the tolerance, even with a valid signature', () => {
    const old = headersFor({ timestamp: nowSeconds - 301 });
    expect(reasonOf(() => verifyWebhook(secret, old, body, { now }))).toBe('timestamp_too_old');
    expect(verifyWebhook(secret, old, body, { now, toleranceSeconds: 600 })).toBeTypeOf('object');
  });

  it('rejects a timestamp too far in the future', () => {
    expect(reasonOf(() => verifyWebhook(secret, headersFor({ timestamp: nowSeconds + 301 }), body, { now }))).toBe('timestamp_too_new');
  });

  it('rejects a signature made with another secret', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    const h = headersFor({ signature: sign(other, 'msg_2Lh9', nowSeconds, body) });
    expect(reasonOf(() => verifyWebhook(secret, h, body, { now }))).toBe('invalid_signature');
  });

  it('accepts a header with two signatures when one of them matches, in either order', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    const good = sign(secret, 'msg_2Lh9', nowSeconds, body);
    const bad = sign(other, 'msg_2Lh9', nowSeconds, body);
    expect(verifyWebhook(secret, headersFor({ signature: `${bad} ${good}` }), body, { now })).toBeTypeOf('object');
    expect(verifyWebhook(secret, headersFor({ signature: `${good} ${bad}` }), body, { now })).toBeTypeOf('object');
    expect(reasonOf(() => verifyWebhook(secret, headersFor({ signature: `${bad} v2,${good.slice(3)}` }), body, { now }))).toBe('invalid_signature');
  });

  it('rejects missing headers, a malformed timestamp and a malformed secret', () => {
    const { 'webhook-signature': _omitted, ...unsigned } = headersFor();
    expect(reasonOf(() => verifyWebhook(secret, unsigned, body, { now }))).toBe('missing_header');
    expect(reasonOf(() => verifyWebhook(secret, { ...headersFor(), 'webhook-timestamp': '12:00' }, body, { now }))).toBe('invalid_timestamp');
    expect(reasonOf(() => verifyWebhook('whsec_not base64!', headersFor(), body, { now }))).toBe('invalid_secret');
  });

  it('verifies what Tock’s executor signs', () => {
    const headers = signPayload({ id: 'msg_exec', timestamp: nowSeconds, body, secrets: [secret] });
    expect(verifyWebhook(secret, headers, body, { now })).toMatchObject({ type: 'job.completed' });
  });
});
