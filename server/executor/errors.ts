/**
 * Errors raised by the outbound call path. Each carries a stable `code` so callers can branch
 * without matching on messages; messages are written for the operator who has to fix the cause.
 */

export { ALLOW_TARGETS_ENV } from '../core/targets.js';

/** A call's target is not permitted by the target policy (wrong scheme or a non-public address). */
export class TargetRefusedError extends Error {
  readonly code = 'target_refused' as const;

  constructor(
    message: string,
    /** The host or address that was refused. */
    readonly target: string,
  ) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

/** The call's URL cannot be parsed. */
export class InvalidTargetUrlError extends Error {
  readonly code = 'invalid_url' as const;

  constructor(message: string) {
    super(message);
    this.name = 'InvalidTargetUrlError';
  }
}

/** A signing secret is not of the `whsec_<base64>` form or decodes to too few bytes. */
export class SigningSecretError extends Error {
  readonly code = 'invalid_signing_secret' as const;

  constructor(message: string) {
    super(message);
    this.name = 'SigningSecretError';
  }
}

export type WebhookVerificationReason =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new';

/**
 * A webhook delivery cannot be verified for a reason other than a signature mismatch
 * (missing headers, malformed or out-of-tolerance timestamp). A plain mismatch is reported by
 * `verifySignature` returning `false`.
 */
export class WebhookVerificationError extends Error {
  readonly code = 'webhook_verification_failed' as const;

  constructor(
    message: string,
    readonly reason: WebhookVerificationReason,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}
