import type { PingMeta } from '../../core/monitors/service.js';

/**
 * What a request claims about its caller, read from its headers the same way on every surface
 * (gRPC metadata, Node and Fastify request headers). Nothing here is checked: the core
 * authenticates the key (`core.authenticate`) and resolves the project (`core.actor`).
 */

/** Reads a header by its lower-case name; a repeated header may come as several values. */
export interface HeaderSource {
  get(name: string): string | readonly string[] | null | undefined;
}

export interface Identity {
  /** The presented API key: `Authorization: Bearer <key>`, else `X-API-Key: <key>`; null if neither carries one. */
  apiKey: string | null;
  /** The project asked for with `X-Tock-Project`; null: the key's own project, or the account's first. */
  projectId: string | null;
  /** The caller's address as the transport saw it (no port; IPv4-mapped IPv6 as plain IPv4). */
  clientIp: string | null;
  userAgent: string | null;
}

export const PROJECT_HEADER = 'x-tock-project';

const BEARER = /^Bearer\s+(\S+)$/i;

/** A plain Node header object (`req.headers` of node:http and of Fastify) as a HeaderSource. */
export function nodeHeaders(headers: Record<string, string | string[] | undefined>): HeaderSource {
  return { get: (name) => headers[name] };
}

/** The first value of a header, trimmed; null when absent or blank. */
export function headerValue(headers: HeaderSource, name: string): string | null {
  const raw = headers.get(name);
  const first = typeof raw === 'string' ? raw : raw?.[0];
  const trimmed = first?.trim();
  return trimmed ? trimmed : null;
}

/** `Authorization: Bearer <key>` wins; any other Authorization value falls back to `X-API-Key`. */
export function apiKeyOf(headers: HeaderSource): string | null {
  return BEARER.exec(headerValue(headers, 'authorization') ?? '')?.[1] ?? headerValue(headers, 'x-api-key');
}

/** A transport address without its IPv4-mapped IPv6 prefix (`::ffff:127.0.0.1` is `127.0.0.1`). */
export function clientAddress(address: string | null | undefined): string | null {
  return address ? address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '') : null;
}

/** The identity of one request: its headers, and the peer address its transport reports. */
export function identityOf(headers: HeaderSource, peerAddress: string | null | undefined): Identity {
  return {
    apiKey: apiKeyOf(headers),
    projectId: headerValue(headers, PROJECT_HEADER),
    clientIp: clientAddress(peerAddress),
    userAgent: headerValue(headers, 'user-agent'),
  };
}

/** What the core records with a ping sent by this caller. */
export function pingMetaOf(identity: Identity, body: string | null): PingMeta {
  return { sourceIp: identity.clientIp, userAgent: identity.userAgent, body };
}
