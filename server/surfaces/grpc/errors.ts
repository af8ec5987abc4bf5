import { Metadata, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  AlreadyExistsError,
  boundedMessage,
  FailedPreconditionError,
  IdempotencyConflictError,
  InvalidArgumentError,
  JobAlreadyExecutedError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitedError,
  TockError,
  UnauthenticatedError,
  UnavailableError,
} from '../../core/errors.js';

/** What a failed call answers; passed as is to a unary callback or `call.emit('error', …)`. */
export interface GrpcErrorStatus {
  code: status;
  details: string;
  metadata: Metadata;
}

/** Trailing metadata carrying the core error's stable `code`, so clients can rebuild typed errors. */
export const ERROR_CODE_KEY = 'tock-error-code';
/** Trailing metadata carrying the snake_case path of the offending field, when the core knows it. */
export const ERROR_FIELD_KEY = 'tock-error-field';
/** Trailing metadata of RESOURCE_EXHAUSTED: milliseconds to wait before retrying. */
export const RETRY_AFTER_KEY = 'tock-retry-after-ms';

// First match wins; subclasses (e.g. InvalidCronError) match through their parent.
const STATUS_OF: Array<[abstract new (...args: never[]) => TockError, status]> = [
  [NotFoundError, status.NOT_FOUND],
  [InvalidArgumentError, status.INVALID_ARGUMENT],
  [UnauthenticatedError, status.UNAUTHENTICATED],
  [PermissionDeniedError, status.PERMISSION_DENIED],
  [AlreadyExistsError, status.ALREADY_EXISTS],
  [JobAlreadyExecutedError, status.FAILED_PRECONDITION],
  [IdempotencyConflictError, status.FAILED_PRECONDITION],
  [FailedPreconditionError, status.FAILED_PRECONDITION],
  [RateLimitedError, status.RESOURCE_EXHAUSTED],
  [UnavailableError, status.UNAVAILABLE],
];

/**
 * The one place where failures become gRPC statuses. Core errors keep their message; anything
 * else is INTERNAL "internal error" (no detail leaks to the caller) and is logged once.
 */
export function toGrpcStatus(err: unknown, logger: Logger): GrpcErrorStatus {
  const metadata = new Metadata();
  const code = err instanceof TockError ? STATUS_OF.find(([cls]) => err instanceof cls)?.[1] : undefined;
  if (!(err instanceof TockError) || code === undefined) {
    logger.error({ err }, 'gRPC call failed with an internal error');
    return { code: status.INTERNAL, details: 'internal error', metadata };
  }
  metadata.set(ERROR_CODE_KEY, err.code);
  const field = 'field' in err && typeof err.field === 'string' ? err.field : null;
  if (field) metadata.set(ERROR_FIELD_KEY, asciiValue(field));
  if (err instanceof RateLimitedError) metadata.set(RETRY_AFTER_KEY, String(err.retryAfterMs));
  return { code, details: wellFormed(boundedMessage(err.message)), metadata };
}

/** grpc-js throws on metadata values outside printable ASCII; field paths may carry a client's map key. */
function asciiValue(s: string): string {
  return /^[ -~]*$/.test(s) ? s : encodeURIComponent(wellFormed(s));
}

/**
 * grpc-js percent-encodes `details` with encodeURI inside a stream callback, where the URIError
 * of a lone surrogate would crash the process. Messages may quote client input, so replace them.
 */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
