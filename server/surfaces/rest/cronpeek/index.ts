import { MonitorLimitError } from '../../../core/errors.js';
import type { Monitor } from '../../../core/types.js';
import { MAX_PAGE_SIZE } from '../../../core/paging.js';
import { monitorView } from '../../shared/index.js';
import type { Dialect, DialectApp, DialectContext } from '../dialect.js';
import { accountRoutes } from './accounts.js';
import { errorBody, merge, monitorInput, monitorJson, monitorLimitMessage, PING_PATH, replacement } from './codec.js';
import { healthRoutes } from './health.js';
import { refuseOtherMethods } from './methods.js';
import { pingRoutes } from './pings.js';
import { monitorBody, monitorParams, monitorPatchBody } from './schemas.js';

/**
 * CronPeek: heartbeat monitors at `/api/v1/monitors`, pings at `/api/v1/ping/:token`, account
 * creation at `/api/v1/accounts` and `/api/health`, with `{"error": "message"}` errors. A
 * CronPeek monitor is a Tock monitor (see codec.ts); any key works (`x-api-key` as documented,
 * `Authorization: Bearer` too). Where Tock differs from the document: docs/rest-cronpeek.md.
 */

function monitorRoutes(app: DialectApp, ctx: DialectContext): void {
  const { core } = ctx;
  const json = (m: Monitor) => monitorJson(monitorView(m, core.monitors.pingUrl(m, PING_PATH)));

  app.post('/api/v1/monitors', { schema: { body: monitorBody, summary: 'Create a monitor; its pingUrl is what the job calls' } }, async (req, reply) => {
    const actor = await ctx.actor(req);
    try {
      const m = await core.monitors.create(actor, monitorInput(req.body));
      reply.code(201);
      return json(m);
    } catch (err) {
      if (err instanceof MonitorLimitError) return ctx.reject(reply, 403, err.code, monitorLimitMessage(err.limit));
      throw err;
    }
  });

  // The document shows no paging: every monitor of the project, newest first, read page by page.
  app.get('/api/v1/monitors', { schema: { summary: "The project's monitors, newest first" } }, async (req) => {
    const actor = await ctx.actor(req);
    const monitors: ReturnType<typeof json>[] = [];
    let pageToken: string | null = null;
    do {
      const page = await core.monitors.list(actor, { pageSize: MAX_PAGE_SIZE, pageToken }, { newestFirst: true });
      for (const m of page.items) monitors.push(json(m));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return { monitors, count: monitors.length };
  });
  refuseOtherMethods(app, ctx, '/api/v1/monitors', ['GET', 'POST']);

  const byId = { params: monitorParams };
  app.get('/api/v1/monitors/:id', { schema: { ...byId, summary: 'One monitor (not in the document: what its users expect)' } }, async (req) =>
    json(await core.monitors.get(await ctx.actor(req), req.params.id)),
  );
  app.get('/api/v1/monitors/:id/status', { schema: { ...byId, summary: 'Status of one monitor, with its last ping and last alert' } }, async (req) =>
    json(await core.monitors.get(await ctx.actor(req), req.params.id)),
  );
  app.patch(
    '/api/v1/monitors/:id',
    { schema: { ...byId, body: monitorPatchBody, summary: 'Change some fields of a monitor (not in the document)' } },
    async (req) => {
      const actor = await ctx.actor(req);
      const current = await core.monitors.get(actor, req.params.id);
      return json(await core.monitors.update(actor, current.id, merge(req.body, current)));
    },
  );
  app.put(
    '/api/v1/monitors/:id',
    { schema: { ...byId, body: monitorBody, summary: "Replace a monitor's fields, as a create would set them (not in the document)" } },
    async (req) => json(await core.monitors.update(await ctx.actor(req), req.params.id, replacement(req.body))),
  );
  app.delete('/api/v1/monitors/:id', { schema: { ...byId, summary: 'Delete a monitor permanently' } }, async (req) => {
    await core.monitors.delete(await ctx.actor(req), req.params.id);
    return { deleted: true };
  });
  refuseOtherMethods(app, ctx, '/api/v1/monitors/:id', ['GET', 'PATCH', 'PUT', 'DELETE']);
  refuseOtherMethods(app, ctx, '/api/v1/monitors/:id/status', ['GET']);
}

export const cronpeekDialect: Dialect = {
  name: 'cronpeek',
  errorBody,
  async routes(app, ctx) {
    accountRoutes(app, ctx);
    monitorRoutes(app, ctx);
    await pingRoutes(app, ctx);
    healthRoutes(app, ctx);
  },
};
