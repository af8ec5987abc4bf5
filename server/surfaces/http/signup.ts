import type { FastifyInstance } from 'fastify';
import type { HttpLimits } from '../../config.js';
import type { Core } from '../../core/index.js';
import { sendError } from './errors.js';
import { refuseOtherMethods } from './methods.js';
import { rateLimitHook } from './rate-limits.js';

export interface SignupOptions {
  core: Core;
  /** TOCK_OPEN_SIGNUP: whether POST /signup creates accounts. */
  openSignup: boolean;
  limits: Pick<HttpLimits, 'signupRatePerIp' | 'rateLimitKeys'>;
}

/**
 * Self-service accounts, only when TOCK_OPEN_SIGNUP is on: a new account, its first project and
 * an all-scopes key. The body is read as text whatever its Content-Type and must be JSON.
 */
export async function signupRoutes(app: FastifyInstance, opts: SignupOptions): Promise<void> {
  const { core } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const limited = rateLimitHook(
    app,
    [{ max: opts.limits.signupRatePerIp, windowMs: 3_600_000, what: 'Too many sign-ups from this address', per: 'an hour' }],
    opts.limits.rateLimitKeys,
  );
  app.post('/signup', { bodyLimit: 10_000, onRequest: limited }, async (req, reply) => {
    if (!opts.openSignup) return sendError(reply, 403, 'signup_closed', 'Sign-up is closed on this server; ask an admin for a key');
    let input: unknown;
    try {
      input = JSON.parse((req.body as string | undefined) || '{}');
    } catch {
      return sendError(reply, 400, 'invalid_argument', 'Body must be JSON: {"email": "...", "name": "..."}');
    }
    const { account, project, secret } = await core.signUp(input);
    reply.code(201);
    return { account_id: account.id, project_id: project.id, api_key: secret };
  });
  refuseOtherMethods(app, '/signup', ['POST']);
}
