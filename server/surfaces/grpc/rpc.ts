import type { handleUnaryCall, Metadata, ServerUnaryCall, ServiceDefinition } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Actor, Principal } from '../../core/types.js';
import { identityOf, type HeaderSource, type Identity } from '../shared/identity.js';
import { toGrpcStatus } from './errors.js';

/** `identity`: what the call's metadata and peer claim (the key in it is already checked). */
export type Handler<Req, Res, Who> = (req: Req, who: Who, identity: Identity) => Promise<Res>;

/** Turns a handler into a grpc-js unary handler: authentication, then the handler, then error mapping. */
export interface Rpc {
  /** A call on a project's objects: the key's project, the one in `x-tock-project`, or the account's first. */
  project<Req, Res>(fn: Handler<Req, Res, Actor>): handleUnaryCall<Req, Res>;
  /** A call on the account itself (projects and keys). */
  account<Req, Res>(fn: Handler<Req, Res, Principal>): handleUnaryCall<Req, Res>;
}

export function createRpc(core: Core, logger: Logger): Rpc {
  function unary<Req, Res, Who>(who: (p: Principal, identity: Identity) => Promise<Who>, fn: Handler<Req, Res, Who>): handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const run = async () => {
        const identity = identityOf(metadataHeaders(call.metadata), peerAddress(call));
        const principal = await core.authenticate(identity.apiKey);
        if (isMalformed(call.request)) throw new InvalidArgumentError(`Malformed request message: ${call.request[MALFORMED]}`);
        return fn(call.request, await who(principal, identity), identity);
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
    project: (fn) => unary((p, identity) => core.actor(p, identity.projectId), fn),
    account: (fn) => unary(async (p) => p, fn),
  };
}

/** Call metadata as headers (binary `-bin` values are not headers and are left out). */
function metadataHeaders(md: Metadata): HeaderSource {
  return { get: (name) => md.get(name).filter((v): v is string => typeof v === 'string') };
}

/** The peer's address without the port (grpc-js gives `host:port`, IPv6 unbracketed). */
function peerAddress(call: ServerUnaryCall<unknown, unknown>): string | null {
  return call.getPeer().replace(/:\d+$/, '') || null;
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
