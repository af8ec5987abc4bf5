import { ConnectionError, errorFromResponse, type TockError } from './errors.js';
import type { PingKind } from './types.js';

/** Options of `ping`. */
export interface PingOptions {
  /** `success` (default), `start` or `fail`. */
  kind?: PingKind;
  /** Text kept with the ping, e.g. the tail of a log; sent as a POST body. The server may truncate it. */
  body?: string;
  /** fetch implementation; default the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** The URL a ping of `kind` goes to: the monitor's ping URL, `/start` or `/fail` appended. */
export function pingTarget(pingUrl: string, kind: PingKind = 'success'): string {
  const url = new URL(pingUrl);
  if (kind !== 'success') url.pathname = `${url.pathname.replace(/\/+$/, '')}/${kind}`;
  return url.toString();
}

/**
 * Pings a monitor through its ping URL (`monitor.pingUrl`); no API key is needed. Sends GET, or
 * POST when there is a `body`. Resolves once Tock answered 2xx.
 *
 * @throws NotFoundError when no monitor has this ping URL; RateLimitError (with `retryAfterMs`)
 *   when the monitor or the caller's address pinged too often; ConnectionError when Tock cannot
 *   be reached; another TockError for other failures.
 */
export async function ping(pingUrl: string, options: PingOptions = {}): Promise<void> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const target = pingTarget(pingUrl, options.kind);
  let res: Response;
  try {
    res = await doFetch(
      target,
      options.body === undefined
        ? { method: 'GET', signal: options.signal }
        : { method: 'POST', body: options.body, headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: options.signal },
    );
  } catch (err) {
    throw new ConnectionError(`Ping to ${new URL(target).origin} failed: ${(err as Error).message}`, { code: 'connection_failed', status: 0, cause: err });
  }
  const text = await res.text();
  if (res.ok) return;
  throw pingError(res.status, text, res.headers.get('retry-after'));
}

function pingError(status: number, text: string, retryAfter: string | null): TockError {
  let code: string | null = null;
  let message = text || `Ping answered HTTP ${status}`;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    // not JSON: keep the text
  }
  // Tock limits pings per token and per address; its 429 says in seconds when to try again.
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null;
  return errorFromResponse({ message, status, code, retryAfterMs: seconds === null ? null : seconds * 1000 });
}
