import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { HTTP_LIMIT_DEFAULTS } from '../../config.js';
import type { Core } from '../../core/index.js';
import { isTockError, type TockError } from '../../core/errors.js';
import type { Actor, Principal } from '../../core/types.js';
import { fieldPath } from '../../core/validation.js';
import type { Logger } from '../../logger.js';
import { errorDetails, HTTP_STATUS, retryAfterSeconds } from '../shared/errors.js';
import { identityOf, nodeHeaders, type Identity } from '../shared/identity.js';
import { rateLimitHook } from '../http/rate-limits.js';

/**
 * What a REST dialect is: a route table and a field map over the shared views (see
 * server/surfaces/shared/index.ts), in its own encapsulated Fastify context with its one error
 * handler. Everything every dialect does the same way lives here, once:
 * - authentication (`Authorization: Bearer` or `X-API-Key`, both accepted by every dialect) and
 *   the project (`X-Tock-Project`, else the key's own, else the account's first): `ctx.actor(req)`;
 * - zod request schemas (fastify-type-provider-zod), so validation and the OpenAPI description
 *   come from one source; a failed schema answers 400 naming the field;
 * - the per-key rate limit (429 with `Retry-After`) and the body limit (413);
 * - errors: a core error answers `HTTP_STATUS[category]`, Fastify's own client errors (bad JSON,
 *   body too large, wrong media type) their 4xx, anything else is logged and answered 500
 *   `internal error` — each in the dialect's error shape (`errorBody`).
 * A dialect's codec keeps only what its document states: its field names, its defaults, its
 * envelopes. Rules stay in the core.
 */

/** One failure as a dialect spells it. `code` is the core's stable code (or Fastify's, mapped). */
export interface DialectError {
  status: number;
  code: string;
  message: string;
  /** snake_case path of the input field the error is about, when known (an unknown field: its name as sent). */
  field: string | null;
}

/** The request schemas' type provider: `app.get('/x', { schema: { querystring: z.object(...) } }, ...)` is typed. */
export type DialectApp = FastifyInstance<any, any, any, any, ZodTypeProvider>;

export interface DialectLimits {
  /** Requests per API key (or per client address without one) per minute; 0 = no limit. */
  ratePerKey: number;
  /** Largest request body in bytes. */
  bodyLimit: number;
  /** Buckets the per-key limit remembers (least recently used forgotten first). */
  rateLimitKeys: number;
  /**
   * Tock's limits of its own unauthenticated routes, for a dialect that documents routes of the
   * same kind (monitor pings, account creation): they count with the same numbers. Absent: Tock's
   * defaults (HTTP_LIMIT_DEFAULTS).
   */
  pingRatePerToken?: number;
  pingRatePerIp?: number;
  signupRatePerIp?: number;
}

export interface DialectContext {
  core: Core;
  logger: Logger;
  /** The limits the dialect's routes were registered with, defaults filled in. */
  limits: Required<DialectLimits>;
  /** TOCK_OPEN_SIGNUP: whether a dialect's documented account creation may create accounts. */
  openSignup: boolean;
  /** Whether the database answers (for a dialect's documented health route). */
  databaseReachable(): Promise<boolean>;
  /** What the request claims (key, project, client address, user agent); nothing checked. */
  identity(req: FastifyRequest): Identity;
  /** The authenticated key (account-level calls: projects). Throws UnauthenticatedError. */
  principal(req: FastifyRequest): Promise<Principal>;
  /** The key acting on its project. Throws UnauthenticatedError / PermissionDeniedError / NotFoundError. */
  actor(req: FastifyRequest, projectId?: string | null): Promise<Actor>;
  /** Sends an error in the dialect's shape (for answers a handler decides itself, e.g. a documented 403). */
  reject(reply: FastifyReply, status: number, code: string, message: string, field?: string | null): FastifyReply;
}

export interface Dialect {
  /** Folder name; the OpenAPI tag of its routes. */
  name: string;
  /** The document's error body for one failure. */
  errorBody(e: DialectError): unknown;
  /** Registers the routes, on the dialect's own context. */
  routes(app: DialectApp, ctx: DialectContext): void | Promise<void>;
}

export interface DialectOptions {
  core: Core;
  logger: Logger;
  limits: DialectLimits;
  /** TOCK_OPEN_SIGNUP; default false. */
  openSignup?: boolean;
  /** The database check of `/healthz`; default: always reachable (an app built without a database of its own). */
  databaseReachable?: () => Promise<boolean>;
}

/** Codes for the client errors Fastify raises itself. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_argument',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

function clientErrorMessage(err: Partial<FastifyError>, req: FastifyRequest): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `Request body is larger than ${req.routeOptions.bodyLimit} bytes`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `Unsupported Content-Type '${String(req.headers['content-type'] ?? '').slice(0, 100)}': send application/json`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Body is empty: send a JSON object';
    default:
      if (err.statusCode === 400 && /JSON/i.test(err.message ?? '')) return /^Body is not valid JSON/.test(err.message!) ? err.message! : `Body is not valid JSON: ${err.message}`;
      return err.message ?? 'Bad request';
  }
}

/** The first problem of a failed request schema, spelled as the core spells its own: `field: problem`. */
function schemaError(err: FastifyError & { validation: unknown[]; validationContext?: string }): { message: string; field: string | null } {
  const first = err.validation[0] as { keyword?: string; instancePath?: string; message?: string; params?: { keys?: string[] } };
  // fastify-type-provider-zod puts the zod issue's path in `instancePath` (`/a/0/b`), its code in `keyword`.
  const path = (first?.instancePath ?? '')
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  if (first?.keyword === 'unrecognized_keys' && first.params?.keys?.length) {
    // An unknown key is named as the caller spelt it (fieldPath would turn `alertWebHook` into a name nobody sent).
    const keys = first.params.keys.map((k) => (path.length ? `${fieldPath(path)}.${k}` : k));
    return { message: `Unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}`, field: keys[0] };
  }
  const field = path.length ? fieldPath(path) : null;
  const where = err.validationContext === 'querystring' ? 'query parameter ' : err.validationContext === 'params' ? 'path parameter ' : '';
  const message = first?.message ?? 'is invalid';
  if (!field) return { message: err.validationContext === 'body' ? `Body: ${message}` : message, field: null };
  return { message: `${where}${field}: ${message}`, field };
}

function errorOf(thrown: unknown, req: FastifyRequest): DialectError | null {
  if (isTockError(thrown)) {
    const d = errorDetails(thrown as TockError);
    return { status: HTTP_STATUS[d.category], code: d.code, message: d.message, field: d.field };
  }
  const err = thrown as FastifyError & { validation?: unknown[] };
  if (hasZodFastifySchemaValidationErrors(err) || Array.isArray(err.validation)) {
    return { status: 400, code: 'invalid_argument', ...schemaError(err as FastifyError & { validation: unknown[] }) };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, code: CODE_BY_STATUS[status] ?? 'invalid_argument', message: clientErrorMessage(err, req), field: null };
  return null;
}

/** The bucket of the per-key limit: a digest of the presented key (never the key itself), else the client address. */
function rateKey(req: FastifyRequest): string {
  const key = identityOf(nodeHeaders(req.headers), req.ip).apiKey;
  return key ? `k:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}` : `ip:${req.ip}`;
}

/**
 * Makes an empty `application/json` body no body at all, for the requests `when` picks: clients
 * that send `Content-Type: application/json` on every request send it on bodiless ones too
 * (a DELETE, an action). Every other body still goes to Fastify's own JSON parser (prototype
 * poisoning refused); a body a route requires is still refused by its schema.
 */
export function acceptEmptyJsonBody(app: DialectApp, when: (req: FastifyRequest) => boolean): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) =>
    body === '' && when(req) ? done(null, undefined) : json(req, body as string, done),
  );
}

/** Registers `dialect` on its own encapsulated context of `app`. */
export async function registerDialect(app: FastifyInstance, dialect: Dialect, opts: DialectOptions): Promise<void> {
  await app.register(async (scope) => {
    const z = scope.withTypeProvider<ZodTypeProvider>();
    z.setValidatorCompiler(validatorCompiler);
    z.setSerializerCompiler(serializerCompiler);

    const send = (reply: FastifyReply, e: DialectError): FastifyReply => {
      if (e.status === 413) reply.header('connection', 'close');
      return reply.code(e.status).type('application/json; charset=utf-8').send(dialect.errorBody(e));
    };
    z.setErrorHandler((thrown, req, reply) => {
      const e = errorOf(thrown, req);
      if (e) {
        if (isTockError(thrown)) {
          const retry = errorDetails(thrown).retryAfterMs;
          if (retry !== null) reply.header('retry-after', String(retryAfterSeconds(retry)));
        }
        return send(reply, e);
      }
      opts.logger.error({ err: thrown, dialect: dialect.name, method: req.method, path: req.routeOptions.url }, 'unhandled error in REST handler');
      return send(reply, { status: 500, code: 'internal', message: 'internal error', field: null });
    });

    // Every route of the dialect takes the configured body limit unless it says otherwise.
    z.addHook('onRoute', (route) => {
      route.bodyLimit ??= opts.limits.bodyLimit;
      route.schema = { ...route.schema, tags: [dialect.name] } as typeof route.schema;
      route.config = { ...route.config, surface: 'rest', dialect: dialect.name };
    });
    if (opts.limits.ratePerKey > 0) {
      z.addHook(
        'onRequest',
        rateLimitHook(
          scope,
          [{ max: opts.limits.ratePerKey, windowMs: 60_000, key: rateKey, what: 'Too many requests for this API key', per: 'a minute' }],
          opts.limits.rateLimitKeys,
          (reply, status, code, message) => send(reply, { status, code, message, field: null }),
        ),
      );
    }

    const identity = (req: FastifyRequest) => identityOf(nodeHeaders(req.headers), req.ip);
    const ctx: DialectContext = {
      core: opts.core,
      logger: opts.logger,
      limits: {
        ...opts.limits,
        pingRatePerToken: opts.limits.pingRatePerToken ?? HTTP_LIMIT_DEFAULTS.pingRatePerToken,
        pingRatePerIp: opts.limits.pingRatePerIp ?? HTTP_LIMIT_DEFAULTS.pingRatePerIp,
        signupRatePerIp: opts.limits.signupRatePerIp ?? HTTP_LIMIT_DEFAULTS.signupRatePerIp,
      },
      openSignup: opts.openSignup ?? false,
      databaseReachable: opts.databaseReachable ?? (async () => true),
      identity,
      principal: (req) => opts.core.authenticate(identity(req).apiKey),
      async actor(req, projectId) {
        const id = identity(req);
        return opts.core.actor(await opts.core.authenticate(id.apiKey), projectId ?? id.projectId);
      },
      reject: (reply, status, code, message, field = null) => send(reply, { status, code, message, field }),
    };
    await dialect.routes(z, ctx);
  });
}
