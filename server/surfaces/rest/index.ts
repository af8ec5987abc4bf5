import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { HTTP_LIMIT_DEFAULTS } from '../../config.js';
import type { Core } from '../../core/index.js';
import type { Logger } from '../../logger.js';
import { cronpeekDialect } from './cronpeek/index.js';
import { cronpulseDialect } from './cronpulse/index.js';
import { registerDialect, type Dialect, type DialectLimits } from './dialect.js';
import { fliqDialect } from './fliq/index.js';
import { krafterDialect } from './krafter/index.js';
import { prikkeDialect } from './prikke/index.js';

/** What the REST gateway is given by the composition root. */
export interface RestOptions {
  core: Core;
  logger: Logger;
  limits?: Partial<DialectLimits>;
  /** TOCK_OPEN_SIGNUP, for dialects that document account creation; default false. */
  openSignup?: boolean;
  /** The database check of `/healthz`, for dialects that document a health route. */
  databaseReachable?: () => Promise<boolean>;
  /** The dialects to serve; default DIALECTS (tests serve dialects of their own). */
  dialects?: readonly Dialect[];
}

/**
 * The dialects served on the HTTP port, each at the paths its document gives (they do not
 * collide): Prikke at `/`, CronPulse at `/api/v1/projects` and `/api/v1/jobs`, Fliq at `/v1`,
 * CronPeek at `/api/v1/{accounts,monitors,ping}` and `/api/health`, Krafter at
 * `/api/v1/cron/jobs`. Each is a folder beside this file with its routes, its codec and one
 * entry here.
 */
export const DIALECTS: Dialect[] = [prikkeDialect, cronpulseDialect, fliqDialect, cronpeekDialect, krafterDialect];

/**
 * Registers every dialect, each in its own encapsulated context (see dialect.ts), and the
 * OpenAPI 3.1 description of all of them at `/openapi.json`, generated from the same zod schemas
 * the routes validate with.
 */
export async function restPlugin(app: FastifyInstance, opts: RestOptions): Promise<void> {
  const dialects = opts.dialects ?? DIALECTS;
  const limits: DialectLimits = {
    ratePerKey: opts.limits?.ratePerKey ?? HTTP_LIMIT_DEFAULTS.apiRatePerKey,
    bodyLimit: opts.limits?.bodyLimit ?? HTTP_LIMIT_DEFAULTS.apiBodyLimit,
    rateLimitKeys: opts.limits?.rateLimitKeys ?? HTTP_LIMIT_DEFAULTS.rateLimitKeys,
    pingRatePerToken: opts.limits?.pingRatePerToken ?? HTTP_LIMIT_DEFAULTS.pingRatePerToken,
    pingRatePerIp: opts.limits?.pingRatePerIp ?? HTTP_LIMIT_DEFAULTS.pingRatePerIp,
    signupRatePerIp: opts.limits?.signupRatePerIp ?? HTTP_LIMIT_DEFAULTS.signupRatePerIp,
  };
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tock REST gateway',
        description: 'The documented APIs of five hosted schedulers, served by Tock. Every key works with every dialect.',
        version: '1',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
      tags: dialects.map((d) => ({ name: d.name })),
    },
    transform: jsonSchemaTransform,
  });
  for (const dialect of dialects) {
    await registerDialect(app, dialect, { core: opts.core, logger: opts.logger, limits, openSignup: opts.openSignup, databaseReachable: opts.databaseReachable });
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
