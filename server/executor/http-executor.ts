import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
import type { AttemptOutcome, AttemptReport } from '../core/jobs/attempts.js';
import { Deadlines, type Expirable } from './deadlines.js';
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

/**
 * What one call came to: the core's attempt report, so the timer hands it to the retry decision
 * as it is. `responseBody` is the first `maxResponseBytes` bytes of the body, decoded as UTF-8;
 * null when no response arrived.
 */
export type CallOutcome = AttemptReport;
export type CallOutcomeKind = AttemptOutcome;

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
  /** Calls `warmUp` sends through the dispatch path to a throwaway loopback server. Default 2000; 0 = none. */
  warmUpCalls?: number;
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
  readonly #deadlines = new Deadlines();
  readonly #warmUpCalls: number;
  #warmedUp: Promise<void> | null = null;
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
    this.#warmUpCalls = options.warmUpCalls ?? 2000;
    if (!Number.isInteger(this.#warmUpCalls) || this.#warmUpCalls < 0) {
      throw new RangeError(`warmUpCalls must be a non-negative integer, got ${this.#warmUpCalls}`);
    }
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

  async #dispatch(call: OutboundCall, url: URL, agent: Agent = this.#agent): Promise<CallOutcome> {
    const timeoutMs = call.timeoutMs ?? this.#defaultTimeoutMs;
    const startedAt = Date.now();
    const t0 = performance.now();
    const body = call.body ?? null;
    const result = await new Promise<CallResult>((resolve) => {
      const handler = new CallHandler(t0 + timeoutMs, this.#maxResponseBytes, resolve);
      this.#deadlines.add(timeoutMs, handler);
      try {
        agent.dispatch(
          {
            origin: url.origin,
            path: url.pathname + url.search,
            method: call.method as Dispatcher.HttpMethod,
            headers: this.#buildHeaders(call, url, body),
            body,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
          },
          handler,
        );
      } catch (err) {
        handler.onError(err as Error);
      }
    });

    const { statusCode } = result;
    let outcome: CallOutcomeKind;
    let error: string | null = null;
    let responseBody: string | null = null;
    let retryAfterMs: number | null = null;
    if (result.timedOut || (result.error !== null && TIMEOUT_CODES.has(errorCode(result.error)))) {
      outcome = 'timeout';
      error = `timed out after ${timeoutMs} ms`;
    } else if (result.error !== null) {
      const err = result.error;
      if (err instanceof TargetRefusedError) {
        outcome = 'refused';
        error = err.message;
      } else if (errorCode(err) === 'UND_ERR_CONNECT_TIMEOUT') {
        outcome = 'timeout';
        error = `connecting to ${url.host} timed out after ${this.#connectTimeoutMs} ms`;
      } else {
        outcome = 'failed';
        error = describeNetworkError(err, url);
      }
    } else {
      const code = statusCode as number;
      responseBody = result.body;
      retryAfterMs = parseRetryAfter(result.retryAfter ?? undefined, Date.now());
      const expected = call.expectedStatus;
      const ok = expected != null && expected.length > 0 ? expected.includes(code) : code >= 200 && code < 300;
      if (ok) {
        outcome = 'succeeded';
      } else {
        outcome = 'failed';
        error = statusError(code, result.location ?? undefined, expected);
      }
    }
    const durationMs = Math.round(performance.now() - t0);
    return {
      outcome,
      statusCode,
      durationMs,
      responseBody,
      error,
      retryAfterMs,
      startedAt: new Date(startedAt),
      finishedAt: new Date(startedAt + durationMs),
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
   * Sends `warmUpCalls` signed calls through the executor's own dispatch path to a throwaway
   * loopback server on a throwaway agent, once per executor, so the one-time costs of the HTTP
   * client are paid at start-up rather than by the first due calls: undici compiles its
   * WebAssembly HTTP parser when its first connection opens, and the dispatch path runs
   * unoptimised until it is hot. Measured on 2 cores at 2,000 fires/s from a cold process: with
   * 400 warm-up calls the first second's median lateness was 60-1,000 ms (the cold path used
   * ~2.6x the CPU per call and a backlog built up), with 2,000 it was 4-38 ms. Takes a few hundred
   * ms; never touches a target; never throws.
   */
  warmUp(): Promise<void> {
    this.#warmedUp ??= this.#warmUp(this.#warmUpCalls);
    return this.#warmedUp;
  }

  async #warmUp(calls: number): Promise<void> {
    if (calls === 0) return;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const agent = new Agent({ connections: 8 });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const { port } = server.address() as AddressInfo;
      const url = new URL(`http://127.0.0.1:${port}/warm-up`);
      const secrets = ['whsec_' + Buffer.alloc(32, 7).toString('base64')];
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < calls) {
            const i = next++;
            await this.#dispatch({ url: url.href, method: 'POST', headers: { 'x-warm-up': String(i) }, body: '{}', timeoutMs: 5_000, signing: { id: `warm_${i}`, secrets } }, url, agent);
          }
        }),
      );
    } catch {
      // Only a warm-up: the first real calls pay the set-up instead.
    } finally {
      await agent.close().catch(() => {});
      server.closeAllConnections();
      server.close();
    }
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

/** What a dispatched call came to, before it is judged against the expected status. */
interface CallResult {
  statusCode: number | null;
  /** The first `cap` bytes of the body as UTF-8 (complete responses only). */
  body: string | null;
  retryAfter: string | null;
  location: string | null;
  timedOut: boolean;
  error: Error | null;
}

/** Thrown into undici to stop reading a body past the capture cap. */
const BODY_CAPPED = new Error('response body capture cap reached');
/** Thrown into undici when the whole-call budget ran out. */
const CALL_TIMED_OUT = new Error('call timed out');

/**
 * One call's undici dispatch handler: the status, the two headers the executor reads
 * (`retry-after`, `location`) and at most `cap` bytes of the body, straight from the parser's
 * callbacks, with no response stream in between (measured: streams, async iteration and a
 * per-call AbortController were most of the executor's own CPU per call). These are undici's
 * core callbacks (`onConnect`, `onHeaders`, ...), which its HTTP/1 client calls directly; the
 * newer controller-style interface is adapted onto them per request.
 *
 * Past the cap the connection is aborted rather than drained, which sacrifices its keep-alive
 * but bounds both memory and time spent on the response. When the whole-call deadline passes
 * (see Deadlines), a connected call is aborted; one still waiting for a connection resolves as a
 * timeout at once and is aborted when undici gets to it.
 */
class CallHandler implements Dispatcher.DispatchHandler, Expirable {
  done = false;
  #abort: ((err?: Error) => void) | null = null;
  #statusCode: number | null = null;
  #retryAfter: string | null = null;
  #location: string | null = null;
  #chunks: Buffer[] | null = [];
  #size = 0;
  #capped = false;
  #resolve: ((r: CallResult) => void) | null;

  constructor(
    readonly deadline: number,
    private readonly cap: number,
    resolve: (r: CallResult) => void,
  ) {
    this.#resolve = resolve;
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.done) abort(CALL_TIMED_OUT);
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[]): boolean {
    if (statusCode < 200) return true; // 1xx: the real response follows
    this.#statusCode = statusCode;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      const len = name.length;
      if (len !== 11 && len !== 8) continue;
      const lower = name.toString().toLowerCase();
      if (lower === 'retry-after') this.#retryAfter ??= rawHeaders[i + 1].toString();
      else if (lower === 'location') this.#location ??= rawHeaders[i + 1].toString();
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.done || this.#chunks === null) return false;
    const room = this.cap - this.#size;
    if (chunk.length > room) {
      if (room > 0) this.#chunks.push(chunk.subarray(0, room));
      this.#size = this.cap;
      this.#capped = true;
      this.#abort?.(BODY_CAPPED);
      return false;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    return true;
  }

  onComplete(): void {
    this.#finish(false, null);
  }

  onError(err: Error): void {
    if (err === BODY_CAPPED || (this.#capped && err !== CALL_TIMED_OUT)) this.#finish(false, null);
    else this.#finish(err === CALL_TIMED_OUT, err === CALL_TIMED_OUT ? null : err);
  }

  expire(): void {
    if (this.done) return;
    const abort = this.#abort;
    this.#finish(true, null);
    abort?.(CALL_TIMED_OUT);
  }

  #finish(timedOut: boolean, error: Error | null): void {
    if (this.done) return;
    this.done = true;
    const chunks = this.#chunks;
    // The deadline queue may hold this handler for up to the timeout: keep nothing large.
    this.#chunks = null;
    this.#abort = null;
    let body: string | null = null;
    if (!timedOut && error === null && chunks !== null) {
      body = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, this.#size).toString('utf8');
    }
    const resolve = this.#resolve!;
    this.#resolve = null;
    resolve({ statusCode: this.#statusCode, body, retryAfter: this.#retryAfter, location: this.#location, timedOut, error });
  }
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
