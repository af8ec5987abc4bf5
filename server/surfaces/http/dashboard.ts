import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { sendError } from './errors.js';
import { refuseOtherMethods } from './methods.js';

export interface DashboardOptions {
  /** The dashboard's build output (`index.html` and `_dashboard/`). Default: `dashboard/dist` of the repository. */
  dir?: string;
}

/** Where Vite puts the hashed bundles (dashboard/vite.config.ts `build.assetsDir`): one prefix no other route uses. */
export const DASHBOARD_ASSETS = '_dashboard';

/** `dashboard/dist` of the repository, from source (`server/surfaces/http`) or compiled (`dist/server/surfaces/http`). */
function defaultDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const up of ['../../..', '../../../..']) {
    const root = resolve(here, up);
    if (existsSync(join(root, 'dashboard', 'index.html'))) return join(root, 'dashboard', 'dist');
  }
  return resolve(here, '../../../dashboard/dist');
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** A bundle name as Vite writes it (`index-<hash>.js`): nothing that could leave the directory. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}$/;

const NOT_BUILT = `The Tock dashboard is not built on this server.

Build it from the repository root with:

    npm run build:dashboard

(npm install builds it too), then reload this page. The API, pings and health endpoints work without it.
`;

/**
 * The dashboard: a static app that talks to the tRPC endpoint like any client. `GET /` is its
 * page and `/_dashboard/*` its bundles; both are read from disk on each request, so a rebuild
 * shows without a restart and a missing build says how to make one instead of failing.
 */
export async function dashboardRoutes(app: FastifyInstance, opts: DashboardOptions): Promise<void> {
  const dir = opts.dir ?? defaultDir();
  const security = {
    'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };

  app.get('/', async (_req, reply) => {
    let html: Buffer;
    try {
      html = await readFile(join(dir, 'index.html'));
    } catch {
      return reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    }
    return reply.headers(security).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  });

  app.get<{ Params: { file: string } }>(`/${DASHBOARD_ASSETS}/:file`, async (req, reply) => {
    const { file } = req.params;
    const type = TYPES[extname(file)];
    if (!ASSET_NAME.test(file) || !type) return sendError(reply, 404, 'not_found', `no dashboard file ${file}`);
    let body: Buffer;
    try {
      body = await readFile(join(dir, DASHBOARD_ASSETS, file));
    } catch {
      return sendError(reply, 404, 'not_found', `no dashboard file ${file}`);
    }
    // Names carry a hash of their content: a changed file is a new name.
    return reply.headers(security).header('cache-control', 'public, max-age=31536000, immutable').type(type).send(body);
  });
  refuseOtherMethods(app, '/', ['GET']);
  refuseOtherMethods(app, `/${DASHBOARD_ASSETS}/:file`, ['GET']);
}
