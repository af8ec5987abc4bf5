/**
 * Typed errors of `@tock/client`, rebuilt from the server's error responses. Switch on the class
 * (`err instanceof NotFoundError`) or on `err.code`, the server's stable code (`not_found`,
 * `invalid_cron`, `job_already_executed`, ...).
 */

/** Options of the error constructors. */
export interface TockErrorOptions {
  /** The server's stable error code. */
  code: string;
  /** HTTP status of the failed call; 0 when no response arrived. */
  status: number;
  /** The underlying error (e.g. the tRPC client error), for debugging. */
  cause?: unknown;
}

/** Base class of every error the client throws for a failed call. */
export class TockError extends Error {
  /** The server's stable error code, e.g. `not_found` or `invalid_cron`. */
  readonly code: string;
  /** HTTP status of the failed call; 0 when no response arrived. */
  readonly status: number;
  override readonly name: string = 'TockError';

  constructor(message: string, options: TockErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.status = options.status;
  }
}

/** The object does not exist, or belongs to another project (the two look the same on purpose). HTTP 404. */
export class NotFoundError extends TockError {
  override readonly name: string = 'NotFoundError';
}

/** The input was rejected. `field` names the offending field (snake_case, dotted) when known. HTTP 400. */
export class ValidationError extends TockError {
  override readonly name: string = 'ValidationError';
  /** snake_case path of the offending field, e.g. `cron` or `headers.x-token`; null when the error is not about one field. */
  readonly field: string | null;

  constructor(message: string, options: TockErrorOptions & { field?: string | null }) {
    super(message, options);
    this.field = options.field ?? null;
  }
}

/** No API key, or an unknown or revoked one. HTTP 401. */
export class AuthenticationError extends TockError {
  override readonly name: string = 'AuthenticationError';
}

/** The key is valid but lacks the scope, or is limited to another project. HTTP 403. */
export class PermissionError extends TockError {
  override readonly name: string = 'PermissionError';
}

/**
 * The request conflicts with the current state: a key already taken, a job that already ran,
 * an idempotency key reused with a different request, a precondition (e.g. deleting the last
 * project). HTTP 409.
 */
export class ConflictError extends TockError {
  override readonly name: string = 'ConflictError';
}

/** Too many requests. HTTP 429. */
export class RateLimitError extends TockError {
  override readonly name: string = 'RateLimitError';
  /** How long the server asked to wait before retrying, when it said. */
  readonly retryAfterMs: number | null;

  constructor(message: string, options: TockErrorOptions & { retryAfterMs?: number | null }) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** The server failed (HTTP 5xx). `unavailable` (503) is worth retrying later. */
export class ServerError extends TockError {
  override readonly name: string = 'ServerError';
}

/** No response: the server could not be reached, or the connection broke. `status` is 0. */
export class ConnectionError extends TockError {
  override readonly name: string = 'ConnectionError';
}

/** What the server's error responses carry in `data` (see server/surfaces/trpc/errors.ts). */
export interface ErrorDetails {
  message: string;
  status: number;
  code?: string | null;
  field?: string | null;
  retryAfterMs?: number | null;
  cause?: unknown;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'failed_precondition',
  429: 'rate_limited',
  503: 'unavailable',
};

/** Builds the typed error for a failed call from its HTTP status and the server's details. */
export function errorFromResponse(d: ErrorDetails): TockError {
  const code = d.code ?? CODE_BY_STATUS[d.status] ?? (d.status >= 500 ? 'internal' : 'unknown');
  const options: TockErrorOptions = { code, status: d.status, cause: d.cause };
  switch (d.status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return new ValidationError(d.message, { ...options, field: d.field });
    case 401:
      return new AuthenticationError(d.message, options);
    case 403:
      return new PermissionError(d.message, options);
    case 404:
      return new NotFoundError(d.message, options);
    case 409:
    case 412:
      return new ConflictError(d.message, options);
    case 429:
      return new RateLimitError(d.message, { ...options, retryAfterMs: d.retryAfterMs });
    default:
      return d.status >= 500 ? new ServerError(d.message, options) : new TockError(d.message, options);
  }
}
