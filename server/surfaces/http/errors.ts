import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isTockError, type TockError } from '../../core/errors.js';
import type { Logger } from '../../logger.js';

/**
 * The one error mapper of Tock's own HTTP endpoints (health, pings, sign-up, routing):
 * `{"error":{"code","message"}}`. The REST dialects answer in their own shapes from their own
 * plugins' handlers; tRPC answers in tRPC's. Whatever reaches this mapper and is neither a
 * core error nor a client error Fastify recognised is logged and answered as a bare 500.
 */

export interface HttpErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): HttpErrorBody {
  return { error: { code, message } };
}

const STATUS_BY_TOCK_CODE: Record<string, number> = {
  not_found: 404,
  unauthenticated: 401,
  permission_denied: 403,
  already_exists: 409,
  job_already_executed: 409,
  idempotency_conflict: 409,
  failed_precondition: 409,
  rate_limited: 429,
  unavailable: 503,
};

/** HTTP status of a core error: the few with their own status, else 400 (a bad argument). */
export function statusOfTockError(err: TockError): number {
  return STATUS_BY_TOCK_CODE[err.code] ?? 400;
}

/** Codes for the client errors Fastify itself raises (bad JSON, body too large, media type, ...). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_argument',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
};

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, message));
}

/** Fastify's wording for its own client errors, replaced where ours says more about what to fix. */
function clientErrorMessage(err: Partial<FastifyError>, req: FastifyRequest): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `Request body is larger than ${req.routeOptions.bodyLimit} bytes`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `Unsupported Content-Type '${req.headers['content-type'] ?? ''}'`;
    default:
      return err.message ?? STATUS_CODES[err.statusCode ?? 400] ?? 'Bad request';
  }
}

/** The error handler of the app's root context; dialect plugins set their own. */
export function httpErrorHandler(logger: Logger) {
  return (thrown: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    // A request for no route fails here only on its body (the 404 context parses it too): no route is the answer.
    if (req.is404) return notFound(req, reply);
    if (isTockError(thrown)) return sendError(reply, statusOfTockError(thrown), thrown.code, thrown.message);
    const err = thrown as Partial<FastifyError>;
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify stops reading a body over the limit: the rest of it cannot be parsed as a next
      // request, so this connection ends with the answer.
      if (status === 413) reply.header('connection', 'close');
      return sendError(reply, status, CODE_BY_STATUS[status] ?? 'invalid_argument', clientErrorMessage(err, req));
    }
    logger.error({ err: thrown, method: req.method, path: pathOf(req) }, 'unhandled error in HTTP handler');
    return sendError(reply, 500, 'internal', 'internal error');
  };
}

export function pathOf(req: FastifyRequest): string {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function notFound(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, 404, 'not_found', `No route for ${req.method} ${pathOf(req)}`);
}

/**
 * Errors Fastify meets while routing, before any handler: a path that does not decode and a
 * parameter longer than the router takes both name no route.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendError(reply, 404, 'not_found', `No route for ${req.method} ${pathOf(req)} (a path segment is too long)`);
  }
  if (err.code === 'FST_ERR_BAD_URL') return notFound(req, reply);
  return sendError(reply, 400, 'invalid_argument', err.message);
}

/** What Node reports on a socket whose request never became one (see `clientErrorHandler`). */
interface SocketError extends Error {
  code?: string;
}

function rawResponse(status: number, code: string, message: string): string {
  const body = JSON.stringify(errorBody(code, message));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

/**
 * Answers on a socket whose request Node could not hand to Fastify: a request that did not
 * arrive in time (408; Node's header and request timeouts), headers over the size limit (431),
 * anything unparsable (400). The socket closes after it.
 */
export function clientErrorHandler(limits: { headersTimeoutMs: number; requestTimeoutMs: number }) {
  return (err: SocketError, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    // Bytes of a response already under way on this socket must not be followed by a second head.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      let response: string;
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        response = rawResponse(
          408,
          'request_timeout',
          `The request did not arrive in time: headers within ${limits.headersTimeoutMs} ms, the whole request within ${limits.requestTimeoutMs} ms`,
        );
      } else if (err.code === 'HPE_HEADER_OVERFLOW') {
        response = rawResponse(431, 'headers_too_large', 'Request headers are larger than the server accepts');
      } else {
        response = rawResponse(400, 'invalid_argument', 'Malformed HTTP request');
      }
      socket.write(response);
    }
    socket.destroy();
  };
}
