import type { IncomingMessage } from 'node:http';
import type { Core } from '../../core/index.js';
import type { TrpcLogger } from './errors.js';

/** Per-request context of every tRPC procedure. Nothing here is checked yet: middlewares authenticate. */
export interface TrpcContext {
  core: Core;
  logger: TrpcLogger;
  /** The presented API key, from `Authorization: Bearer <key>` or `X-API-Key`; null if none. */
  apiKey: string | null;
  /** The project asked for with `X-Tock-Project`; null: the key's own or the account's default project. */
  projectId: string | null;
  /** Recorded with API pings. */
  sourceIp: string | null;
  userAgent: string | null;
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  const trimmed = s?.trim();
  return trimmed ? trimmed : null;
}

/** Reads the API key: `Authorization: Bearer <key>` wins over `X-API-Key: <key>`. */
export function apiKeyOf(req: IncomingMessage): string | null {
  const authorization = header(req, 'authorization');
  if (authorization) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (m) return m[1];
  }
  return header(req, 'x-api-key');
}

/** The context of one request: the core, the logger, and what the headers claim (unchecked). */
export function createContext(core: Core, logger: TrpcLogger, req: IncomingMessage): TrpcContext {
  return {
    core,
    logger,
    apiKey: apiKeyOf(req),
    projectId: header(req, 'x-tock-project'),
    sourceIp: req.socket.remoteAddress ?? null,
    userAgent: header(req, 'user-agent'),
  };
}
