import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpLimits } from '../../config.js';
import type { Core } from '../../core/index.js';
import { isPingKeyForm } from '../../core/auth/secrets.js';
import { InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import { pingSignal } from '../../core/monitors/service.js';
import { refuseOtherMethods } from './methods.js';
import { rateLimitHook } from './rate-limits.js';

export interface PingOptions {
  core: Core;
  limits: Pick<HttpLimits, 'pingRatePerToken' | 'pingRatePerIp' | 'rateLimitKeys'>;
}

/** Largest ping body read; the core keeps a shorter prefix of it. */
export const PING_BODY_LIMIT = 100_000;

type PingParams = { first: string; second?: string; third?: string };

/**
 * What a ping path names. `/ping/<token>[/<signal>]` or `/ping/<ping key>/<monitor key>[/<signal>]`;
 * a ping key is told from a token by its form alone (`pk_` prefix), so the first segment decides
 * which shape the rest has and the two never clash. A token path has no third segment.
 */
type PingTarget = { token: string; signal?: string } | { pingKey: string; monitorKey: string; signal?: string } | null;

function targetOf(p: PingParams): PingTarget {
  if (isPingKeyForm(p.first)) return p.second === undefined ? null : { pingKey: p.first, monitorKey: p.second, signal: p.third };
  return p.third === undefined ? { token: p.first, signal: p.second } : null;
}

/** `?create=1` asks a ping by key to make the monitor on its first ping. */
function createFlag(query: unknown): boolean {
  const v = (query as { create?: unknown } | undefined)?.create;
  if (v === undefined || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true' || v === '') return true;
  throw new InvalidArgumentError('create: must be 1 or 0', 'create');
}

/**
 * Monitor pings: the token (or the project's ping key with the monitor's key) in the URL is the
 * credential. GET and POST both count, as in the hosted services, so `curl` one-liners and
 * webhooks can ping; HEAD counts too and answers with headers only. Registered as its own
 * plugin: the body parser below is for pings alone.
 */
export async function pingRoutes(app: FastifyInstance, opts: PingOptions): Promise<void> {
  const { core, limits } = opts;
  // The address first: a flood over many tokens stops there without filling the token limit's
  // memory. One count per request whatever the path (success, start, fail, status) or method.
  const limited = rateLimitHook(
    app,
    [
      { max: limits.pingRatePerIp, windowMs: 60_000, what: 'Too many pings from this address', per: 'a minute' },
      {
        max: limits.pingRatePerToken,
        windowMs: 60_000,
        // One bucket per monitor credential: the token, or the ping key with the monitor key. The
        // router takes no parameter over maxParamLength (100), which bounds every key.
        key: (req) => {
          const p = req.params as PingParams;
          return isPingKeyForm(p.first) ? `${p.first}/${p.second ?? ''}` : p.first;
        },
        what: 'Too many pings for this token',
        per: 'a minute',
      },
    ],
    limits.rateLimitKeys,
  );
  // A POST body of any type is the ping's payload, kept as text: a ping never fails on its body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const handler = async (req: FastifyRequest<{ Params: PingParams }>, _reply: FastifyReply) => {
    const target = targetOf(req.params);
    if (!target) throw new NotFoundError('monitor', `${req.params.first.slice(0, 8)}…`);
    // The signal is checked before the credential is looked up: a bad segment is a 400 whoever asks.
    const { kind, exitStatus } = pingSignal(target.signal);
    const meta = {
      // The client's address: the peer, or what X-Forwarded-For says when TOCK_TRUST_PROXY trusts the peer.
      sourceIp: req.ip || null,
      userAgent: req.headers['user-agent'] ?? null,
      body: req.method === 'POST' ? ((req.body as string | undefined) ?? '') : null,
      exitStatus,
    };
    const monitor =
      'token' in target
        ? await core.monitors.pingByToken(target.token, kind, meta)
        : await core.monitors.pingByKey(target.pingKey, target.monitorKey, kind, meta, { create: createFlag(req.query) });
    return { ok: true, status: monitor.status };
  };
  for (const url of ['/ping/:first', '/ping/:first/:second', '/ping/:first/:second/:third']) {
    app.route({ method: ['GET', 'POST'], url, bodyLimit: PING_BODY_LIMIT, onRequest: limited, handler });
    refuseOtherMethods(app, url, ['GET', 'POST']);
  }
}
