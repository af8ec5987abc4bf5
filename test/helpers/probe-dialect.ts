import { z } from 'zod';
import type { Dialect } from '../../server/surfaces/rest/dialect.js';
import { scheduleView } from '../../server/surfaces/shared/index.js';

/**
 * A small REST dialect of the tests' own, for the tests that are generic over DIALECTS (the fuzz
 * test, the OpenAPI test) to show they check something whatever DIALECTS holds. It has the kinds
 * of zod schema the documents need (a strict body with required fields, enums, a nested object,
 * an array, a date-time, a record with a key pattern; a strict coerced query; path ids) over the
 * core's schedules, so requests reach the schema check, a codec and the core's own validation.
 * Paths under /fuzzprobe; errors `{"error":{"code","message"}}`.
 */
export const probeDialect: Dialect = {
  name: 'fuzzprobe',
  errorBody: (e) => ({ error: { code: e.code, message: e.message } }),
  routes(r, ctx) {
    const body = z
      .object({
        url: z.url(),
        every_seconds: z.number().int().min(60).max(86_400),
        timezone: z.enum(['UTC', 'Europe/Riga']).optional(),
        http_method: z.enum(['GET', 'POST', 'PUT', 'DELETE']).optional(),
        headers: z.record(z.string().regex(/^x-[a-z]{1,20}$/), z.string().max(100)).optional(),
        tags: z.array(z.string().max(20)).max(5).optional(),
        retry: z.object({ max: z.number().int().min(0).max(10) }).strict().optional(),
        start_at: z.iso.datetime().optional(),
        paused: z.boolean().optional(),
      })
      .strict();
    const id = z.object({ id: z.string() });
    const input = (b: Partial<z.infer<typeof body>>) => ({
      url: b.url,
      intervalSeconds: b.every_seconds,
      timezone: b.timezone,
      method: b.http_method,
      headers: b.headers,
      maxRetries: b.retry?.max,
      state: b.paused === undefined ? undefined : b.paused ? ('paused' as const) : ('active' as const),
    });
    const view = (s: Parameters<typeof scheduleView>[0]) => {
      const v = scheduleView(s);
      return { id: v.id, url: v.url, cron: v.cron, every_seconds: v.intervalSeconds, next_run_at: v.nextRunAt?.toISOString() ?? null };
    };
    r.post('/fuzzprobe/schedules', { schema: { body } }, async (req, reply) => {
      const s = await ctx.core.schedules.create(await ctx.actor(req), input(req.body) as never);
      return reply.code(201).send(view(s));
    });
    r.get(
      '/fuzzprobe/schedules',
      { schema: { querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).optional(), cursor: z.string().max(200).optional() }).strict() } },
      async (req) => {
        const page = await ctx.core.schedules.list(await ctx.actor(req), { pageSize: req.query.limit ?? 20, pageToken: req.query.cursor ?? null });
        return { data: page.items.map(view), next_cursor: page.nextPageToken };
      },
    );
    r.get('/fuzzprobe/schedules/:id', { schema: { params: id } }, async (req) => view(await ctx.core.schedules.get(await ctx.actor(req), req.params.id)));
    r.patch('/fuzzprobe/schedules/:id', { schema: { params: id, body: body.partial() } }, async (req) =>
      view(await ctx.core.schedules.update(await ctx.actor(req), req.params.id, input(req.body) as never)),
    );
    r.delete('/fuzzprobe/schedules/:id', { schema: { params: id } }, async (req, reply) => {
      await ctx.core.schedules.delete(await ctx.actor(req), req.params.id);
      return reply.code(204).send();
    });
  },
};
