import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  IdempotencyConflictError,
  InvalidArgumentError,
  InvalidCronError,
  InvalidPageTokenError,
  InvalidTimezoneError,
  InvalidUrlError,
  JobAlreadyExecutedError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
  type TockError,
} from '../../../server/core/errors.js';
import { toGrpcStatus } from '../../../server/surfaces/grpc/errors.js';
import { errorDetails, HTTP_STATUS } from '../../../server/surfaces/shared/errors.js';
import { toTRPCError } from '../../../server/surfaces/trpc/errors.js';

const silent = pino({ level: 'silent' });
const trpcLogger = { error: () => {} };

/** Every core error, with the status each surface answers it with. */
const cases: Array<[TockError, status, string, number]> = [
  [new NotFoundError('job', 'job_x'), status.NOT_FOUND, 'NOT_FOUND', 404],
  [new InvalidArgumentError('name: must not be empty', 'name'), status.INVALID_ARGUMENT, 'BAD_REQUEST', 400],
  [new InvalidCronError('* *', 'expected 5 fields'), status.INVALID_ARGUMENT, 'BAD_REQUEST', 400],
  [new InvalidTimezoneError('Mars/Base'), status.INVALID_ARGUMENT, 'BAD_REQUEST', 400],
  [new InvalidUrlError('ftp://x', 'scheme'), status.INVALID_ARGUMENT, 'BAD_REQUEST', 400],
  [new InvalidPageTokenError(), status.INVALID_ARGUMENT, 'BAD_REQUEST', 400],
  [new AlreadyExistsError('schedule', 'key', 'nightly'), status.ALREADY_EXISTS, 'CONFLICT', 409],
  [new JobAlreadyExecutedError('job_x', 'succeeded'), status.FAILED_PRECONDITION, 'CONFLICT', 409],
  [new IdempotencyConflictError('k', 'job_x'), status.FAILED_PRECONDITION, 'CONFLICT', 409],
  [new FailedPreconditionError('last project'), status.FAILED_PRECONDITION, 'CONFLICT', 409],
  [new UnauthenticatedError(), status.UNAUTHENTICATED, 'UNAUTHORIZED', 401],
  [new PermissionDeniedError('write:jobs'), status.PERMISSION_DENIED, 'FORBIDDEN', 403],
  [new RateLimitedError(1500), status.RESOURCE_EXHAUSTED, 'TOO_MANY_REQUESTS', 429],
  [new UnavailableError(), status.UNAVAILABLE, 'SERVICE_UNAVAILABLE', 503],
];

describe('error categories', () => {
  it.each(cases)('maps %s to one status per surface through its category', (err, grpcStatus, trpcCode, httpStatus) => {
    expect(toGrpcStatus(err, silent).code).toBe(grpcStatus);
    expect(toTRPCError(err, trpcLogger, { path: 'x' }).code).toBe(trpcCode);
    expect(HTTP_STATUS[err.category]).toBe(httpStatus);
  });

  it('gives every surface the same details: code, message, field and retry delay', () => {
    expect(errorDetails(new InvalidCronError('* *', 'expected 5 fields'))).toEqual({
      code: 'invalid_cron',
      category: 'invalid_argument',
      message: "Invalid cron expression: '* *' (expected 5 fields)",
      field: 'cron',
      retryAfterMs: null,
    });
    expect(errorDetails(new AlreadyExistsError('monitor', 'key', 'db'))).toMatchObject({ code: 'already_exists', field: 'key' });
    expect(errorDetails(new RateLimitedError(1500))).toMatchObject({ category: 'rate_limited', field: null, retryAfterMs: 1500 });
  });

  it('answers anything that is not a core error as internal, without its message', () => {
    expect(toGrpcStatus(new Error('db password leaked'), silent)).toMatchObject({ code: status.INTERNAL, details: 'internal error' });
    expect(toTRPCError(new Error('db password leaked'), trpcLogger, { path: 'x' })).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error' });
  });
});
