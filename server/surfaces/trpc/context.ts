import type { FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { identityOf, nodeHeaders, type Identity } from '../shared/identity.js';
import type { TrpcLogger } from './errors.js';

/** Per-request context of every tRPC procedure. Nothing here is checked yet: middlewares authenticate. */
export interface TrpcContext {
  core: Core;
  logger: TrpcLogger;
  /** What the request's headers claim: key, project, client address, user agent (unchecked). */
  identity: Identity;
}

/** The context of one request: the core, the logger, and what the headers claim (unchecked). `req.ip` follows TOCK_TRUST_PROXY. */
export function createContext(core: Core, logger: TrpcLogger, req: FastifyRequest): TrpcContext {
  return { core, logger, identity: identityOf(nodeHeaders(req.headers), req.ip) };
}
