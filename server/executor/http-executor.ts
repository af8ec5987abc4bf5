import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { InvalidTargetUrlError, TargetRefusedError } from './errors.js';
import { createGuardedConnector } from './guarded-connector.js';
import { Semaphore } from './semaphore.js';
import { signPayload } from './signing.js';
import type { TargetPolicy } from './target-policy.js';

export interface OutboundCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | null;
  /** Whole-call budget (headers and body), counted from dispatch, not from queueing. */
  timeoutMs?: number;
  /** Statuses counted as success; null or empty means any 2xx. */
  expectedStatus?: number[] | null;
  /** Adds Standard Webhooks headers; `id` should stay the same across retries of one delivery. */
  signing?: { id: string; secrets: string[] };
}

export type CallOutcomeKind = 'succeeded' | 'failed' | 'timeout' | 'refused';

export interface CallOutcome {
  outcome: CallOutcomeKind;
  statusCode: number | null;
  durationMs: number;
  /** First `maxResponseBytes` bytes of the body, decoded as UTF-8; null when no response arrived. */
  responseBody: string | null;
  error: string | null;
  retryAfterMs: number | null;
  startedAt: Date;
  finishedAt: Date;
}

export interface HttpExecutorOptions {
  policy: TargetPolicy;
  /** Calls dispatched at once across all origins. Default 512. */
  maxInFlight?: number;
  /** Calls (and keep-alive connections) at once per origin. Default 64. */
  maxPerOrigin?: number;
  defaultTimeoutMs?: number;
  /** TCP/TLS connect timeout. Default 10 000 ms. */
  connectTimeoutMs?: number;
  maxResponseBytes?: number;
  userAgent?: string;
}

const SIGNING_HEADERS = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature']);

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Performs outbound HTTP calls for the scheduler: one shared keep-alive agent, no redirects, a
 * per-call timeout, bounded response capture, and admission control so thousands of concurrent
 * `execute` calls queue here instead of overloading the process or any single target.
 *
 * `execute` never rejects; every failure is reported as a `CallOutcome`.
 */
export class HttpExecutor {
  readonly #policy: TargetPolicy;
  readonly #agent: Agent;
  readonly #global: Semaphore;
  readonly #origins = new Map<string, Semaphore>();
  readonly #maxPerOrigin: number;
  readonly #defaultTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #userAgent: string;
  #closing: Promise<void> | null = null;

  constructor(options: HttpExecutorOptions) {
    this.#policy = options.policy;
    this.#maxPerOrigin = positiveInt('maxPerOrigin', options.maxPerOrigin ?? 64);
    this.#global = new Semaphore(positiveInt('maxInFlight', options.maxInFlight ?? 512));
    this.#defaultTimeoutMs = positiveInt('defaultTimeoutMs', options.defaultTimeoutMs ?? 30_000);
    this.#connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs ?? 10_000);
    this.#maxResponseBytes = options.maxResponseBytes ?? 65_536;
    if (!Number.isInteger(this.#maxResponseBytes) || this.#maxResponseBytes < 0) {
      throw new RangeError(`maxResponseBytes must be a non-negative integer, got ${this.#maxResponseBytes}`);
    }
    this.#userAgent = options.userAgent ?? 'Tock/0.1';
    // No redirect interceptor is composed onto this agent, so 3xx responses are returned as-is.
    // (undici 7 removed the request-level `maxRedirections` option; only 0/undefined is accepted.)
    this.#agent = new Agent({
      connections: this.#maxPerOrigin,
      pipelining: 1,
      connect: createGuardedConnector(this.#policy, { connectTimeoutMs: this.#connectTimeoutMs }),
    });
  }

  /** Calls currently dispatched (holding a global slot). */
  get inFlight(): number {
    return this.#global.inUse;
  }

  /** Calls waiting for a global or per-origin slot. */
  get queued(): number {
    let n = this.#global.waiting;
    for (const sem of this.#origins.values()) n += sem.waiting;
    return n;
  }

  async execute(call: OutboundCall): Promise<CallOutcome> {
    let url: URL;
    try {
      url = this.#policy.checkUrl(call.url);
    } catch (err) {
      return immediateOutcome(err instanceof TargetRefusedError ? 'refused' : 'failed', errorMessage(err));
    }
    if (this.#closing !== null) return immediateOutcome('failed', 'executor is closed');

    const origin = url.origin;
    let originSlot = this.#origins.get(origin);
    if (originSlot === undefined) {
      originSlot = new Semaphore(this.#maxPerOrigin);
      this.#origins.set(origin, originSlot);
    }
    // Origin slot first, global slot second: a call queued behind a saturated origin must not sit
    // on a global slot, or one slow origin could starve every other origin of dispatch capacity.
    if (!originSlot.tryAcquire()) await originSlot.acquire();
    if (!this.#global.tryAcquire()) await this.#global.acquire();
    try {
      if (this.#closing !== null) return immediateOutcome('failed', 'executor is closed');
      return await this.#dispatch(call, url);
    } finally {
      this.#global.release();
      originSlot.release();
      // Dropped only when idle, so any caller holding or awaiting this semaphore still finds it mapped.
      if (originSlot.idle) this.#origins.delete(origin);
    }
  }

  async #dispatch(call: OutboundCall, url: URL): Promise<CallOutcome> {
    const timeoutMs = call.timeoutMs ?? this.#defaultTimeoutMs;
    const startedAt = new Date();
    const t0 = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);

    let statusCode: number | null = null;
    let responseBody: string | null = null;
    let retryAfterMs: number | null = null;
    let outcome: CallOutcomeKind;
    let error: string | null = null;
    try {
      const body = call.body ?? null;
      const response = await this.#agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: call.method as Dispatcher.HttpMethod,
        headers: this.#buildHeaders(call, url, body),
        body,
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      statusCode = response.statusCode;
      retryAfterMs = parseRetryAfter(response.headers['retry-after'], Date.now());
      responseBody = await readCapped(response.body, this.#maxResponseBytes);

      const expected = call.expectedStatus;
      const ok = expected != null && expected.length > 0
        ? expected.includes(statusCode)
        : statusCode >= 200 && statusCode < 300;
      if (ok) {
        outcome = 'succeeded';
      } else {
        outcome = 'failed';
        error = statusError(statusCode, response.headers.location, expected);
      }
    } catch (err) {
      if (timedOut || TIMEOUT_CODES.has(errorCode(err))) {
        outcome = 'timeout';
        error = `timed out after ${timeoutMs} ms`;
      } else if (err instanceof TargetRefusedError) {
        outcome = 'refused';
        error = err.message;
      } else if (errorCode(err) === 'UND_ERR_CONNECT_TIMEOUT') {
        outcome = 'timeout';
        error = `connecting to ${url.host} timed out after ${this.#connectTimeoutMs} ms`;
      } else {
        outcome = 'failed';
        error = describeNetworkError(err, url);
      }
    } finally {
      clearTimeout(timer);
    }
    const durationMs = Math.round(performance.now() - t0);
    return {
      outcome,
      statusCode,
      durationMs,
      responseBody,
      error,
      retryAfterMs,
      startedAt,
      finishedAt: new Date(startedAt.getTime() + durationMs),
    };
  }

  #buildHeaders(call: OutboundCall, url: URL, body: string | null): Record<string, string> {
    const headers: Record<string, string> = {};
    let hasUserAgent = false;
    let hasAuthorization = false;
    const signing = call.signing;
    for (const name of Object.keys(call.headers)) {
      const lower = name.toLowerCase();
      // Caller-supplied signing headers would be sent alongside ours under another casing.
      if (signing !== undefined && SIGNING_HEADERS.has(lower)) continue;
      if (lower === 'user-agent') hasUserAgent = true;
      else if (lower === 'authorization') hasAuthorization = true;
      headers[name] = call.headers[name];
    }
    if (!hasUserAgent) headers['user-agent'] = this.#userAgent;
    // undici is given origin + path, so URL userinfo would otherwise be dropped silently.
    if (!hasAuthorization && (url.username !== '' || url.password !== '')) {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.authorization = 'Basic ' + Buffer.from(credentials).toString('base64');
    }
    if (signing !== undefined) {
      const signed = signPayload({
        id: signing.id,
        timestamp: Math.floor(Date.now() / 1000),
        body: body ?? '',
        secrets: signing.secrets,
      });
      headers['webhook-id'] = signed['webhook-id'];
      headers['webhook-timestamp'] = signed['webhook-timestamp'];
      headers['webhook-signature'] = signed['webhook-signature'];
    }
    return headers;
  }

  /**
   * Stops accepting calls and lets dispatched ones finish for up to `graceMs`, then destroys any
   * connection still open. Calls still queued for a slot resolve as failed ("executor is closed").
   */
  close(graceMs = 10_000): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closing = (async () => {
      let timer: NodeJS.Timeout | undefined;
      const graceExpired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), graceMs);
      });
      const result = await Promise.race([this.#agent.close().then(() => 'closed' as const), graceExpired]);
      clearTimeout(timer);
      if (result === 'expired') await this.#agent.destroy();
    })();
    return this.#closing;
  }
}

function immediateOutcome(outcome: CallOutcomeKind, error: string): CallOutcome {
  const now = new Date();
  return {
    outcome,
    statusCode: null,
    durationMs: 0,
    responseBody: null,
    error,
    retryAfterMs: null,
    startedAt: now,
    finishedAt: now,
  };
}

/**
 * Reads at most `cap` bytes. Past the cap the stream is destroyed rather than drained, which
 * sacrifices that connection's keep-alive but bounds both memory and time spent on the response.
 */
async function readCapped(body: Readable, cap: number): Promise<string> {
  if (cap === 0) {
    body.destroy();
    return '';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    const room = cap - size;
    if (buf.length > room) {
      if (room > 0) chunks.push(buf.subarray(0, room));
      size = cap;
      break; // leaving for-await destroys the stream
    }
    chunks.push(buf);
    size += buf.length;
  }
  if (chunks.length === 1) return chunks[0].toString('utf8');
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Retry-After as delay-seconds or an HTTP date, in ms from `nowMs`; null when absent or unparsable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  // Digits must be handled before Date.parse, which reads a bare "5" as a year.
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

function statusError(status: number, location: string | string[] | undefined, expected: number[] | null | undefined): string {
  if (status >= 300 && status < 400) {
    const target = Array.isArray(location) ? location[0] : location;
    return target
      ? `redirect to ${target} not followed (HTTP ${status})`
      : `HTTP ${status} redirect without a Location header not followed`;
  }
  const wanted = expected != null && expected.length > 0 ? expected.join(', ') : '2xx';
  return `unexpected HTTP status ${status} (expected ${wanted})`;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describeNetworkError(err: unknown, url: URL): string {
  // Happy-eyeballs (autoSelectFamily) reports an AggregateError; the first attempt's error is representative.
  let cause = err;
  if (cause instanceof AggregateError && errorCode(cause) === '' && cause.errors.length > 0) cause = cause.errors[0];
  const code = errorCode(cause);
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
      return `DNS lookup for ${url.hostname} failed (${code})`;
    case 'ECONNREFUSED':
      return `connection to ${url.host} refused (ECONNREFUSED)`;
    case 'ECONNRESET':
      return `connection to ${url.host} reset (ECONNRESET)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${url.host} is unreachable (${code})`;
    case 'UND_ERR_SOCKET':
      return `connection to ${url.host} closed unexpectedly: ${errorMessage(cause)}`;
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return 'executor is closed';
    case 'UND_ERR_INVALID_ARG':
      return `invalid request: ${errorMessage(cause)}`;
    default:
      if (err instanceof InvalidTargetUrlError) return err.message;
      if (code.startsWith('ERR_TLS') || code.includes('CERT')) return `TLS error with ${url.host}: ${errorMessage(cause)} (${code})`;
      return code ? `${errorMessage(cause)} (${code})` : errorMessage(cause);
  }
}
