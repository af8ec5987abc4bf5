/**
 * The dashboard's only way to the server: Tock's tRPC endpoint over plain HTTP, with the
 * viewer's API key as a Bearer token, exactly as any other client calls it. Queries are GETs
 * (several at once as one batch), mutations POSTs; dates arrive as ISO strings.
 */

export interface Page<T> {
  items: T[];
  nextPageToken: string | null;
}

export interface Schedule {
  id: string;
  key: string | null;
  name: string;
  url: string;
  method: string;
  cron: string | null;
  timezone: string;
  intervalSeconds: number | null;
  state: 'active' | 'paused';
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastStatus: string | null;
  failureStreak: number;
}

export interface Job {
  id: string;
  scheduleId: string | null;
  source: string;
  name: string | null;
  url: string;
  scheduledAt: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  finishedAt: string | null;
}

export interface Execution {
  id: string;
  jobId: string;
  attempt: number;
  status: string;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string;
}

export interface Monitor {
  id: string;
  key: string | null;
  name: string;
  periodSeconds: number | null;
  cron: string | null;
  timezone: string;
  graceSeconds: number;
  status: 'new' | 'up' | 'down' | 'paused';
  pingUrl: string;
  lastPingAt: string | null;
  pingCount: number;
  nextDeadlineAt: string | null;
  statusChangedAt: string | null;
}

export interface Ping {
  id: string;
  kind: string;
  exitStatus: number | null;
  durationMs: number | null;
  receivedAt: string;
  sourceIp: string | null;
  userAgent: string | null;
  body: string | null;
}

export interface Alert {
  id: string;
  event: string;
  subjectType: 'monitor' | 'schedule' | 'job';
  subjectId: string;
  channel: string;
  target: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface Flip {
  id: string;
  subjectType: string;
  subjectId: string;
  fromStatus: string;
  toStatus: string;
  reason: string | null;
  at: string;
}

export interface ActivityMinute {
  minute: string;
  executions: number;
  succeeded: number;
  failed: number;
  latenessMeanMs: number | null;
  latenessMaxMs: number | null;
}

export interface Activity {
  from: string;
  to: string;
  minutes: ActivityMinute[];
}

/** An error the server answered, with its HTTP status and Tock's stable code when it gave one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
  }
}

interface TrpcEnvelope {
  result?: { data?: unknown };
  error?: { message?: string; data?: { httpStatus?: number; tockCode?: string; code?: string } };
}

/** The server caps a batch at this many calls. */
const MAX_BATCH = 50;
/** The server routes a procedure list (`/trpc/a,b,c`) of at most 800 characters; stay well below. */
const MAX_BATCH_PATH = 700;

/** Consecutive chunks of `calls` each within the server's batch limits. */
function batches<C extends { path: string }>(calls: C[]): C[][] {
  const out: C[][] = [];
  let chunk: C[] = [];
  let length = 0;
  for (const c of calls) {
    if (chunk.length && (chunk.length === MAX_BATCH || length + 1 + c.path.length > MAX_BATCH_PATH)) {
      out.push(chunk);
      chunk = [];
      length = 0;
    }
    length += (chunk.length ? 1 : 0) + c.path.length;
    chunk.push(c);
  }
  if (chunk.length) out.push(chunk);
  return out;
}

function unwrap<T>(env: TrpcEnvelope, status: number): T {
  if (env.error) {
    const d = env.error.data ?? {};
    throw new ApiError(env.error.message ?? 'request failed', d.httpStatus ?? status, d.tockCode ?? d.code ?? null);
  }
  return env.result?.data as T;
}

export class Api {
  /** `base`: the server's origin; empty (the page's own origin) in the dashboard. */
  constructor(
    private readonly key: string,
    private readonly base = '',
  ) {}

  private headers(json: boolean): Record<string, string> {
    return json ? { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' } : { authorization: `Bearer ${this.key}` };
  }

  private async send(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch {
      throw new ApiError('the server did not answer', 0, 'unavailable');
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ApiError(`the server answered ${res.status} without JSON`, res.status, null);
    }
    return { status: res.status, body };
  }

  async query<T>(path: string, input?: unknown): Promise<T> {
    const qs = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    const { status, body } = await this.send(`${this.base}/trpc/${path}${qs}`, { headers: this.headers(false) });
    return unwrap<T>(body as TrpcEnvelope, status);
  }

  /** Several queries in as few requests as the server's batch cap allows; each settles on its own. */
  async queries<T>(calls: { path: string; input?: unknown }[]): Promise<PromiseSettledResult<T>[]> {
    const out: PromiseSettledResult<T>[] = [];
    for (const chunk of batches(calls)) {
      const inputs = Object.fromEntries(chunk.map((c, j) => [String(j), c.input]));
      const url = `${this.base}/trpc/${chunk.map((c) => c.path).join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify(inputs))}`;
      const { status, body } = await this.send(url, { headers: this.headers(false) });
      if (!Array.isArray(body)) {
        // The whole batch was refused (a bad key, say): every call fails the same way.
        const err = (() => {
          try {
            unwrap(body as TrpcEnvelope, status);
            return new ApiError('unexpected answer to a batch', status, null);
          } catch (e) {
            return e;
          }
        })();
        for (const _ of chunk) out.push({ status: 'rejected', reason: err });
        continue;
      }
      for (const env of body as TrpcEnvelope[]) {
        try {
          out.push({ status: 'fulfilled', value: unwrap<T>(env, status) });
        } catch (reason) {
          out.push({ status: 'rejected', reason });
        }
      }
    }
    return out;
  }

  async mutate<T>(path: string, input: unknown): Promise<T> {
    const { status, body } = await this.send(`${this.base}/trpc/${path}`, { method: 'POST', headers: this.headers(true), body: JSON.stringify(input) });
    return unwrap<T>(body as TrpcEnvelope, status);
  }
}
