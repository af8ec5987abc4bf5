import type { IncomingMessage, ServerResponse } from 'node:http';

export type Params = Record<string, string>;
export type Handler = (req: IncomingMessage, res: ServerResponse, params: Params, url: URL) => Promise<void> | void;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

/**
 * A small path router: `/ping/:token` style patterns, exact methods, and prefix mounts for
 * sub-handlers (tRPC, the REST dialects). Matching is by segments, so no regex runs per request.
 */
export class Router {
  private readonly routes: Route[] = [];
  private readonly mounts: { prefix: string; handler: Handler }[] = [];

  on(method: string | string[], pattern: string, handler: Handler): this {
    for (const m of Array.isArray(method) ? method : [method]) {
      this.routes.push({ method: m, parts: pattern.split('/').filter(Boolean), handler });
    }
    return this;
  }

  /** Every request whose path is `prefix` or starts with `prefix/` goes to `handler`. */
  mount(prefix: string, handler: Handler): this {
    this.mounts.push({ prefix: prefix.replace(/\/+$/, ''), handler });
    return this;
  }

  /** Finds the handler; `methodNotAllowed` when the path matched under another method only. */
  match(method: string, path: string): { handler: Handler; params: Params } | { methodNotAllowed: true } | null {
    for (const m of this.mounts) {
      if (path === m.prefix || path.startsWith(`${m.prefix}/`)) return { handler: m.handler, params: {} };
    }
    const segs = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const r of this.routes) {
      if (r.parts.length !== segs.length) continue;
      const params: Params = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const p = r.parts[i];
        if (p.startsWith(':')) {
          try {
            params[p.slice(1)] = decodeURIComponent(segs[i]);
          } catch {
            ok = false;
            break;
          }
        } else if (p !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathMatched = true;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return { handler: r.handler, params };
    }
    return pathMatched ? { methodNotAllowed: true } : null;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Request body is larger than ${limit} bytes`);
  }
}

/** Reads the request body up to `limit` bytes; past it, stops reading and throws. */
export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
