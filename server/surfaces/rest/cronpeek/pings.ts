import { NotFoundError } from '../../../core/errors.js';
import { PING_BODY_LIMIT } from '../../http/pings.js';
import { rateLimitHook } from '../../http/rate-limits.js';
import { pingMetaOf } from '../../shared/index.js';
import type { DialectApp, DialectContext } from '../dialect.js';
import { refuseOtherMethods } from './methods.js';

/**
 * `GET|POST|HEAD /api/v1/ping/:token`, no key: the token is the credential, the same token as
 * Tock's own `/ping/<token>`. Every method records a success ping through the core, with the
 * client address, user agent and (POST) body; HEAD answers 200 with no body. Limited per client
 * address, then per token, with TOCK_PING_RATE_PER_IP and TOCK_PING_RATE_PER_TOKEN, as Tock's
 * own ping routes are (counted apart from them).
 */
export async function pingRoutes(app: DialectApp, ctx: DialectContext): Promise<void> {
  await app.register(async (pings: DialectApp) => {
    // A POST body of any type is the ping's payload, kept as text: a ping never fails on its body.
    pings.removeAllContentTypeParsers();
    pings.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    const limited = rateLimitHook(
      pings,
      [
        { max: ctx.limits.pingRatePerIp, windowMs: 60_000, what: 'Too many pings from this address', per: 'a minute' },
        {
          max: ctx.limits.pingRatePerToken,
          windowMs: 60_000,
          // The router takes no parameter over maxParamLength, which bounds every key.
          key: (req) => (req.params as { token: string }).token,
          what: 'Too many pings for this token',
          per: 'a minute',
        },
      ],
      ctx.limits.rateLimitKeys,
      (reply, status, code, message) => ctx.reject(reply, status, code, message),
    );
    const url = '/api/v1/ping/:token';
    pings.route({
      // GET also answers HEAD (Fastify's HEAD route runs the handler and sends no body).
      method: ['GET', 'POST'],
      url,
      bodyLimit: PING_BODY_LIMIT,
      onRequest: limited,
      schema: { summary: 'Report a successful run (GET, POST or HEAD; the token authenticates)' },
      handler: async (req, reply) => {
        const { token } = req.params as { token: string };
        const body = req.method === 'POST' ? ((req.body as string | undefined) ?? '') : null;
        try {
          const m = await ctx.core.monitors.pingByToken(token, 'success', pingMetaOf(ctx.identity(req), body));
          return { ok: true, monitor: m.name, status: m.status };
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          return ctx.reject(reply, 404, err.code, 'No monitor has this ping token: use the pingUrl its monitor was created with');
        }
      },
    });
    refuseOtherMethods(pings, ctx, url, ['GET', 'POST']);
  });
}
