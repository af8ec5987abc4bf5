import { RateLimitedError, type ErrorCategory, type TockError } from '../../core/errors.js';

/**
 * What every surface tells a caller about a core error, whatever its error shape. A surface
 * keeps one table `ErrorCategory -> its status` and spells these details its own way; anything
 * that is not a TockError is an internal error it logs and answers without detail.
 */
export interface ErrorDetails {
  /** The core's stable code (`not_found`, `invalid_cron`, ...). */
  code: string;
  category: ErrorCategory;
  message: string;
  /** snake_case path of the input field the error is about (an invalid one, or a taken unique one); null if none. */
  field: string | null;
  /** For `rate_limited`: how long to wait before retrying. */
  retryAfterMs: number | null;
}

export function errorDetails(err: TockError): ErrorDetails {
  return {
    code: err.code,
    category: err.category,
    message: err.message,
    field: 'field' in err && typeof err.field === 'string' ? err.field : null,
    retryAfterMs: err instanceof RateLimitedError ? err.retryAfterMs : null,
  };
}

/** The HTTP status of each category, for every HTTP surface (Tock's own endpoints and the REST dialects). */
export const HTTP_STATUS: Readonly<Record<ErrorCategory, number>> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 409,
  rate_limited: 429,
  unavailable: 503,
};

/** `Retry-After` in whole seconds (at least 1) for a wait in milliseconds. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
