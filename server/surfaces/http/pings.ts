import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpLimits } from '../../config.js';
import type { Core } from '../../core/index.js';
import type { PingKind } from '../../core/types.js';
import { refuseOtherMethods } from './methods.js';
import { rateLimitHook } from './rate-limits.js';

export interface PingOptions {
  core: Core;
  limits: Pick<HttpLimits, 'pingRatePerToken' | 'pingRatePerIp' | 'rateLimitKeys'>;
}

/** Largest ping body read; the core keeps a shorter prefix of it. */
export const PING_BODY_LIMIT = 100_000;

/**
 * Monitor pings: the token in the URL is the credential. GET and POST both count, as in the
 * hosted services, so `curl` one-liners and webhooks can ping; HEAD counts too and answers
 * with headers only. Registered as its own plugin: the body parser below is for pings alone.
 */
export async function pingRoutes(app: FastifyInstance, opts: PingOptions): Promise<void> {
  const { core, limits } = opts;
  // The address first: a flood over many tokens stops there without filling the token limit's
  // memory. One count per request whatever the path (success, start, fail) or method.
  const limited = rateLimitHook(
    app,
    [
      { max: limits.pingRatePerIp, windowMs: 60_000, what: 'Too many pings from this address', per: 'a minute' },
      {
        max: limits.pingRatePerToken,
        windowMs: 60_000,
        // The router takes no parameter over maxParamLength (100), which bounds every key.
        key: (req) => (req.params as { token: string }).token,
        what: 'Too many pings for this token',
        per: 'a minute',
      },
    ],
    limits.rateLimitKeys,
  );
  // A POST body of any type is the ping's payload, kept as text: a ping never fails on its body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const ping = (kind: PingKind) => async (req: FastifyRequest<{ Params: { token: string } }>, _reply: FastifyReply) => {
    const monitor = await core.monitors.pingByToken(req.params.token, kind, {
      sourceIp: req.socket.remoteAddress ?? null,
      userAgent: req.headers['user-agent'] ?? null,
      body: req.method === 'POST' ? ((req.body as string | undefined) ?? '') : null,
    });
    return { ok: true, status: monitor.status };
  };
  for (const [suffix, kind] of [['', 'success'], ['/start', 'start'], ['/fail', 'fail']] as const) {
    const url = `/ping/:token${suffix}`;
    app.route({ method: ['GET', 'POST'], url, bodyLimit: PING_BODY_LIMIT, onRequest: limited, handler: ping(kind) });
    refuseOtherMethods(app, url, ['GET', 'POST']);
  }
}
