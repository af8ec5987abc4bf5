import type { handleUnaryCall, Metadata, ServerUnaryCall, ServiceDefinition } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Actor, Principal } from '../../core/types.js';
import { toGrpcStatus } from './errors.js';

/** Metadata naming the project a call acts on, for keys that reach every project of an account. */
export const PROJECT_KEY = 'x-tock-project';

export type Handler<Req, Res, Who> = (req: Req, who: Who, call: ServerUnaryCall<Req, Res>) => Promise<Res>;

/** Turns a handler into a grpc-js unary handler: authentication, then the handler, then error mapping. */
export interface Rpc {
  /** A call on a project's objects: the key's project, the one in `x-tock-project`, or the account's first. */
  project<Req, Res>(fn: Handler<Req, Res, Actor>): handleUnaryCall<Req, Res>;
  /** A call on the account itself (projects and keys). */
  account<Req, Res>(fn: Handler<Req, Res, Principal>): handleUnaryCall<Req, Res>;
}

export function createRpc(core: Core, logger: Logger): Rpc {
  function unary<Req, Res, Who>(who: (p: Principal, md: Metadata) => Promise<Who>, fn: Handler<Req, Res, Who>): handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const run = async () => {
        const principal = await core.authenticate(apiKey(call.metadata));
        if (isMalformed(call.request)) throw new InvalidArgumentError(`Malformed request message: ${call.request[MALFORMED]}`);
        return fn(call.request, await who(principal, call.metadata), call);
      };
      run()
        .then(
          (res) => callback(null, res),
          (err) => callback(toGrpcStatus(err, logger.child({ rpc: call.getPath() }))),
        )
        // Whatever happens while answering, no promise of a call may reject unhandled (it would end the process).
        .catch((err) => logger.error({ err, rpc: call.getPath() }, 'gRPC call failed while answering'));
    };
  }
  return {
    project: (fn) => unary((p, md) => core.actor(p, metadataValue(md, PROJECT_KEY)), fn),
    account: (fn) => unary(async (p) => p, fn),
  };
}

/** `authorization: Bearer <key>`, else `x-api-key: <key>`; null when neither is there. */
function apiKey(md: Metadata): string | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(metadataValue(md, 'authorization') ?? '');
  return bearer?.[1] ?? metadataValue(md, 'x-api-key');
}

export function metadataValue(md: Metadata, key: string): string | null {
  const value = md.get(key)[0];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The peer's address without the port (grpc-js gives `host:port`, IPv6 unbracketed). */
export function peerAddress(call: ServerUnaryCall<unknown, unknown>): string | null {
  return call.getPeer().replace(/:\d+$/, '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') || null;
}

const MALFORMED = Symbol('malformed request');
type Malformed = { [MALFORMED]: string };
const isMalformed = (req: unknown): req is Malformed => typeof req === 'object' && req !== null && MALFORMED in req;

/**
 * The service definition with a request decoder that never throws: a message that does not
 * decode reaches the handler as a marker and is answered INVALID_ARGUMENT (grpc-js alone would
 * answer INTERNAL).
 */
export function tolerantDecoding<S extends ServiceDefinition>(definition: S): S {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return { [MALFORMED]: err instanceof Error ? err.message : String(err) } satisfies Malformed;
        }
      },
    };
  }
  return out as S;
}
