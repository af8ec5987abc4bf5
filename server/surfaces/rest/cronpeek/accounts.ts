import { AlreadyExistsError } from '../../../core/errors.js';
import type { DialectApp, DialectContext } from '../dialect.js';
import { rateLimitHook } from '../../http/rate-limits.js';
import { accountJson } from './codec.js';
import { refuseOtherMethods } from './methods.js';
import { accountBody } from './schemas.js';

/**
 * `POST /api/v1/accounts`, no key: Tock's self-service sign-up (a new account, its project and
 * an all-scopes key), only when TOCK_OPEN_SIGNUP is on. The account email is the project's
 * notification email, which is how "alerts default to the account email" holds. Counted per
 * client address with TOCK_SIGNUP_RATE_PER_IP, as `POST /signup` is.
 *
 * Unlike the document, an email that already has an account answers 409 and never its key:
 * handing the key to whoever names an address would hand them the account.
 */
export function accountRoutes(app: DialectApp, ctx: DialectContext): void {
  const limited = rateLimitHook(
    app,
    [{ max: ctx.limits.signupRatePerIp, windowMs: 3_600_000, what: 'Too many accounts created from this address', per: 'an hour' }],
    ctx.limits.rateLimitKeys,
    (reply, status, code, message) => ctx.reject(reply, status, code, message),
  );
  app.post(
    '/api/v1/accounts',
    {
      bodyLimit: 10_000,
      // Counted first, then closed is the answer whatever the body says (it is not read).
      onRequest: [
        limited,
        async (_req, reply) => {
          if (ctx.openSignup) return undefined;
          ctx.reject(reply, 403, 'signup_closed', 'Account creation is closed on this server (TOCK_OPEN_SIGNUP is off): ask its administrator for an API key');
          return reply;
        },
      ],
      schema: { body: accountBody, summary: 'Create an account and receive its API key (only with TOCK_OPEN_SIGNUP=true)' },
    },
    async (req, reply) => {
      try {
        const { secret } = await ctx.core.signUp({ email: req.body.email }, { alertsToEmail: true });
        reply.code(201);
        return accountJson(secret, ctx.core.monitors.limit);
      } catch (err) {
        if (!(err instanceof AlreadyExistsError) || err.resource !== 'account') throw err;
        return ctx.reject(
          reply,
          409,
          err.code,
          'An account already exists for this email. Its API key is never returned: use the key it was given, or ask the server administrator for a new one',
          'email',
        );
      }
    },
  );
  refuseOtherMethods(app, ctx, '/api/v1/accounts', ['POST']);
}
