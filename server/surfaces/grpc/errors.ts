import { Metadata, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { boundedMessage, TockError, type ErrorCategory } from '../../core/errors.js';
import { errorDetails } from '../shared/errors.js';

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

const GRPC_STATUS: Readonly<Record<ErrorCategory, status>> = {
  invalid_argument: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  rate_limited: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
};

/**
 * The one place where failures become gRPC statuses. Core errors keep their message; anything
 * else is INTERNAL "internal error" (no detail leaks to the caller) and is logged once.
 */
export function toGrpcStatus(err: unknown, logger: Logger): GrpcErrorStatus {
  const metadata = new Metadata();
  if (!(err instanceof TockError)) {
    logger.error({ err }, 'gRPC call failed with an internal error');
    return { code: status.INTERNAL, details: 'internal error', metadata };
  }
  const e = errorDetails(err);
  metadata.set(ERROR_CODE_KEY, e.code);
  if (e.field) metadata.set(ERROR_FIELD_KEY, asciiValue(e.field));
  if (e.retryAfterMs !== null) metadata.set(RETRY_AFTER_KEY, String(e.retryAfterMs));
  return { code: GRPC_STATUS[e.category], details: wellFormed(boundedMessage(e.message)), metadata };
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

/** One failed item of a batch call, in the shape of its response (e.g. CreateJobsError): the status and trailers the call alone would have answered. */
export interface GrpcItemError {
  status: status;
  code: string;
  message: string;
  field: string;
}

export function toGrpcItemError(err: TockError): GrpcItemError {
  const e = errorDetails(err);
  return { status: GRPC_STATUS[e.category], code: e.code, message: wellFormed(boundedMessage(e.message)), field: e.field ?? '' };
}
