export {
  ALLOW_TARGETS_ENV,
  InvalidTargetUrlError,
  SigningSecretError,
  TargetRefusedError,
  WebhookVerificationError,
  type WebhookVerificationReason,
} from './errors.js';
export { TargetPolicy, parseAllowList } from './target-policy.js';
export { createGuardedConnector, createGuardedLookup, type GuardedConnectorOptions } from './guarded-connector.js';
export { Semaphore } from './semaphore.js';
export {
  SECRET_PREFIX,
  decodeSigningSecret,
  generateSigningSecret,
  signPayload,
  verifySignature,
  type HeaderSource,
  type SignPayloadInput,
  type VerifyOptions,
  type WebhookHeaders,
} from './signing.js';
export {
  HttpExecutor,
  parseRetryAfter,
  type CallOutcome,
  type CallOutcomeKind,
  type HttpExecutorOptions,
  type OutboundCall,
} from './http-executor.js';
