import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/index.js';
import type { Logger } from '../../logger.js';

/** What every REST dialect plugin is given. */
export interface RestOptions {
  core: Core;
  logger: Logger;
}

/** One REST dialect: an encapsulated plugin with its routes, its codec and its one error handler. */
export type RestDialect = FastifyPluginAsync<RestOptions>;

/**
 * The dialects served on the HTTP port, each at the paths its document gives (they do not
 * collide). None is written yet: each lands as a folder beside this file (prikke/, cronpulse/,
 * fliq/, cronpeek/, krafter/) and one entry here.
 */
export const DIALECTS: RestDialect[] = [];

/**
 * Registers every dialect, each in its own encapsulated context, so one dialect's error
 * handler, auth hook and body parsers never apply to another's routes or to the rest of the port.
 */
export async function restPlugin(app: FastifyInstance, opts: RestOptions): Promise<void> {
  for (const dialect of DIALECTS) await app.register(dialect, opts);
}
