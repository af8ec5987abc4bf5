/**
 * One class per failure. Every error has a stable `code` (part of the API: surfaces and
 * clients switch on it), a transport-neutral `category`, and a message that tells the caller
 * what to fix. Each surface maps categories to its own status codes in exactly one table;
 * anything that is not a TockError is an internal error there.
 *
 * Messages quote what the caller sent only through `echo`: a client may send megabytes, and a
 * message travels in a gRPC trailer (where ~100 KB stalls the caller's channel), a JSON body and
 * the logs.
 */
export abstract class TockError extends Error {
  abstract readonly code: string;
  /** What kind of failure this is, whatever the transport: surfaces pick their status from it. */
  abstract readonly category: ErrorCategory;
  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * What kind of failure an error is, whatever the transport: the one thing a surface needs to
 * pick its status (gRPC status, tRPC code, HTTP status). Named like the gRPC codes they match.
 */
export type ErrorCategory =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'unauthenticated'
  | 'permission_denied'
  | 'rate_limited'
  | 'unavailable';

/** How much of a caller's value a message quotes. */
export const ECHO_MAX = 200;
/** The most a surface sends as an error message (see `boundedMessage`). */
export const MESSAGE_MAX = 1_000;
const CUT_MARK = '…(truncated)';

/**
 * `s` cut to at most `max` UTF-16 units (never between the halves of a surrogate pair), marked
 * as cut. The result is a fresh copy: V8 keeps a short slice of a long string as a view that
 * holds the whole original alive.
 */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return Array.from(s.slice(0, end)).join('') + CUT_MARK;
}

/** A caller's value as quoted in a message: at most ECHO_MAX characters, marked when cut. */
export function echo(value: unknown): string {
  return cut(String(value), ECHO_MAX);
}

/** A whole error message as a surface sends it: at most MESSAGE_MAX characters, marked when cut. */
export function boundedMessage(message: string): string {
  return cut(message, MESSAGE_MAX);
}

export type ResourceKind = 'project' | 'key' | 'schedule' | 'job' | 'execution' | 'monitor' | 'account';

/** The object does not exist, or belongs to another tenant (the two are indistinguishable on purpose). */
export class NotFoundError extends TockError {
  readonly code = 'not_found';
  readonly category = 'not_found' as const;
  constructor(
    readonly resource: ResourceKind,
    readonly id: string,
  ) {
    super(`No ${resource} with id '${echo(id)}'`);
  }
}

/** A field of the input is wrong. `field` is the snake_case path of the offending field, when known. */
export class InvalidArgumentError extends TockError {
  readonly code: string = 'invalid_argument';
  readonly category = 'invalid_argument' as const;
  /** Bounded like an echo: a field path may carry a client's map key (a header name). */
  readonly field: string | null;
  constructor(message: string, field: string | null = null) {
    super(message);
    this.field = field === null ? null : echo(field);
  }
}

export class InvalidCronError extends InvalidArgumentError {
  override readonly code = 'invalid_cron';
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`Invalid cron expression: '${echo(expression)}' (${echo(reason)})`, 'cron');
  }
}

export class InvalidTimezoneError extends InvalidArgumentError {
  override readonly code = 'invalid_timezone';
  constructor(readonly timezone: string) {
    super(`Unknown time zone '${echo(timezone)}' (expected an IANA name such as 'Europe/Riga' or 'UTC')`, 'timezone');
  }
}

export class InvalidUrlError extends InvalidArgumentError {
  override readonly code = 'invalid_url';
  constructor(
    readonly url: string,
    reason: string,
    field = 'url',
  ) {
    super(`Invalid URL '${echo(url)}': ${reason}`, field);
  }
}

/** A one-time job due in the past where the caller asked for a future time only. */
export class InvalidScheduledAtError extends InvalidArgumentError {
  override readonly code = 'invalid_scheduled_at';
  constructor(
    readonly scheduledAt: Date,
    readonly now: Date,
  ) {
    super(`scheduled_at must be in the future (got ${scheduledAt.toISOString()}; server time is ${now.toISOString()})`, 'scheduled_at');
  }
}

export class InvalidPageTokenError extends InvalidArgumentError {
  override readonly code = 'invalid_page_token';
  constructor() {
    super('Invalid page_token: pass back the next_page_token of the previous page unchanged', 'page_token');
  }
}

/** A unique name is taken (e.g. a schedule key inside a project). */
export class AlreadyExistsError extends TockError {
  readonly code = 'already_exists';
  readonly category = 'already_exists' as const;
  constructor(
    readonly resource: ResourceKind,
    readonly field: string,
    readonly value: string,
  ) {
    super(`${/^[aeiou]/.test(resource) ? 'An' : 'A'} ${resource} with ${field} '${echo(value)}' already exists${resource === 'account' ? '' : ' in this project'}`);
  }
}

/** The job already ran (or is running), so it can no longer be cancelled. */
export class JobAlreadyExecutedError extends TockError {
  readonly code = 'job_already_executed';
  readonly category = 'failed_precondition' as const;
  constructor(
    readonly jobId: string,
    readonly status: string,
  ) {
    super(`Job '${echo(jobId)}' cannot be cancelled: it is already ${status}`);
  }
}

/** The idempotency key was used before with a different request. */
export class IdempotencyConflictError extends TockError {
  readonly code = 'idempotency_conflict';
  readonly category = 'failed_precondition' as const;
  constructor(
    readonly idempotencyKey: string,
    readonly existingJobId: string,
  ) {
    super(
      `Idempotency key '${echo(idempotencyKey)}' was already used for job '${existingJobId}' with a different request; use a new key`,
    );
  }
}

/** The object is in a state that does not allow the operation (e.g. deleting the last project). */
export class FailedPreconditionError extends TockError {
  readonly code: string = 'failed_precondition';
  readonly category = 'failed_precondition' as const;
  constructor(message: string) {
    super(message);
  }
}

/** No key, or a key that is unknown or revoked. */
export class UnauthenticatedError extends TockError {
  readonly code = 'unauthenticated';
  readonly category = 'unauthenticated' as const;
  constructor(message = 'Missing or invalid API key: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"') {
    super(message);
  }
}

/** The key is valid but lacks the scope the operation needs, or is limited to another project. */
export class PermissionDeniedError extends TockError {
  readonly code = 'permission_denied';
  readonly category = 'permission_denied' as const;
  constructor(
    readonly requiredScope: string,
    message?: string,
  ) {
    super(message ?? `This key lacks the '${requiredScope}' scope`);
  }
}

/**
 * The account has as many monitors as the server allows (TOCK_MONITOR_LIMIT). A quota, not a
 * missing scope: the same key may create again once a monitor is deleted.
 */
export class MonitorLimitError extends TockError {
  readonly code = 'monitor_limit_reached';
  readonly category = 'permission_denied' as const;
  constructor(readonly limit: number) {
    super(`Monitor limit reached (${limit}): this account may have at most ${limit} monitors on this server; delete one to create another`);
  }
}

export class RateLimitedError extends TockError {
  readonly code: string = 'rate_limited';
  readonly category = 'rate_limited' as const;
  constructor(
    readonly retryAfterMs: number,
    message = `Too many requests; retry after ${Math.ceil(retryAfterMs / 1000)} s`,
  ) {
    super(message);
  }
}

/** The project ran its executions for today (UTC) (TOCK_DAILY_EXECUTION_LIMIT); creates wait for the next UTC day. */
export class DailyExecutionLimitError extends RateLimitedError {
  override readonly code = 'daily_execution_limit';
  constructor(
    readonly limit: number,
    readonly resetsAt: Date,
    now: Date,
  ) {
    super(
      resetsAt.getTime() - now.getTime(),
      `daily execution limit reached: this project made ${limit} executions today (UTC), the most allowed; new jobs and schedules can be created again from ${resetsAt.toISOString()}`,
    );
  }
}

/** The database or another dependency is not reachable; retrying later may work. */
export class UnavailableError extends TockError {
  readonly code = 'unavailable';
  readonly category = 'unavailable' as const;
  constructor(message = 'Service temporarily unavailable; retry shortly') {
    super(message);
  }
}

export function isTockError(err: unknown): err is TockError {
  return err instanceof TockError;
}
