import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { boundedMessage, TockError, type ErrorCategory } from '../../core/errors.js';
import { errorDetails, HTTP_STATUS } from '../shared/errors.js';

/**
 * The one place where core errors become tRPC errors. Known core errors keep their message and
 * ride along as `cause`, so the error formatter can put the core's stable `code` (and `field`)
 * into `shape.data`; anything else is logged here and answered as a bare "internal error".
 */

/** What the tRPC surface needs of a logger (a pino `Logger` fits). */
export interface TrpcLogger {
  error(obj: object, msg: string): void;
}

/** Extra fields of `shape.data` in every error response of the tRPC surface. */
export interface TockErrorData {
  /** The core's stable error code (`not_found`, `invalid_cron`, ...); derived from the tRPC code for tRPC's own errors. */
  tockCode: string;
  /** snake_case path of the offending input field, when the error is about one. */
  field: string | null;
  /** For `rate_limited`: how long to wait before retrying. */
  retryAfterMs: number | null;
}

const INTERNAL_MESSAGE = 'internal error';

const TRPC_CODE: Readonly<Record<ErrorCategory, TRPC_ERROR_CODE_KEY>> = {
  invalid_argument: 'BAD_REQUEST',
  unauthenticated: 'UNAUTHORIZED',
  permission_denied: 'FORBIDDEN',
  not_found: 'NOT_FOUND',
  already_exists: 'CONFLICT',
  failed_precondition: 'CONFLICT',
  rate_limited: 'TOO_MANY_REQUESTS',
  unavailable: 'SERVICE_UNAVAILABLE',
};

/**
 * Maps anything a procedure threw to the TRPCError the caller sees. Input problems arrive as
 * the core's InvalidArgumentError: every input is parsed by the core's parser (see inputs.ts).
 */
export function toTRPCError(err: unknown, logger: TrpcLogger, context: { path: string }): TRPCError {
  // tRPC wraps what a resolver throws: unwrap to judge the original.
  const original = err instanceof TRPCError && err.cause !== undefined ? err.cause : err;
  if (original instanceof TockError) return new TRPCError({ code: TRPC_CODE[original.category], message: original.message, cause: original });
  // tRPC's own deliberate errors (bad request shapes, unknown procedures) pass through.
  if (err instanceof TRPCError && err.code !== 'INTERNAL_SERVER_ERROR') return err;
  logger.error({ err: original, path: context.path }, 'unhandled error in tRPC procedure');
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: INTERNAL_MESSAGE });
}

/** The category of tRPC's own errors (bad request shapes, unknown procedures), which carry no core error. */
const CATEGORY_OF_TRPC_CODE: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCategory>> = {
  PARSE_ERROR: 'invalid_argument',
  BAD_REQUEST: 'invalid_argument',
  PAYLOAD_TOO_LARGE: 'invalid_argument',
  UNSUPPORTED_MEDIA_TYPE: 'invalid_argument',
  METHOD_NOT_SUPPORTED: 'invalid_argument',
  UNPROCESSABLE_CONTENT: 'invalid_argument',
  NOT_FOUND: 'not_found',
  UNAUTHORIZED: 'unauthenticated',
  FORBIDDEN: 'permission_denied',
  CONFLICT: 'failed_precondition',
  PRECONDITION_FAILED: 'failed_precondition',
  TOO_MANY_REQUESTS: 'rate_limited',
  SERVICE_UNAVAILABLE: 'unavailable',
};

/** The extra `shape.data` fields for an error (see TockErrorData). */
export function tockErrorData(error: TRPCError): TockErrorData {
  if (error.cause instanceof TockError) {
    const { code, field, retryAfterMs } = errorDetails(error.cause);
    return { tockCode: code, field, retryAfterMs };
  }
  return { tockCode: CATEGORY_OF_TRPC_CODE[error.code] ?? 'internal', field: null, retryAfterMs: null };
}

/** One failed item of a batch procedure (`jobs.createMany`): what the procedure alone would have answered for it. */
export interface TrpcItemError {
  /** The core's stable error code, as `tockCode` of an error response. */
  code: string;
  /** The HTTP status the procedure alone would have answered. */
  httpStatus: number;
  message: string;
  field: string | null;
  retryAfterMs: number | null;
}

export function toTrpcItemError(err: TockError): TrpcItemError {
  const { code, category, message, field, retryAfterMs } = errorDetails(err);
  return { code, httpStatus: HTTP_STATUS[category], message: boundedMessage(message), field, retryAfterMs };
}

/** Whether an error reaching tRPC's `onError` still needs a log line (the mapper logs the rest). */
export function needsLogging(error: TRPCError): boolean {
  return error.code === 'INTERNAL_SERVER_ERROR' && error.cause !== undefined;
}

/** The whole message of an internal error on the wire. */
export { INTERNAL_MESSAGE };
