import { z } from 'zod';
import type { MonitorInput, MonitorPatch } from '../../../core/monitors/service.js';
import type { PingKind } from '../../../core/types.js';
import { pingMetaOf } from '../../shared/identity.js';
import * as wire from '../codec.js';
import { coreInput, coreValue, envelope, id, idInput, pageInput, updateInput } from '../inputs.js';
import { projectProcedure as p, router } from '../trpc.js';

const recordPingInput = envelope(
  z
    .object({
      id,
      /** Absent: `success`. */
      kind: coreValue<PingKind>().optional(),
      /** Optional text kept with the ping (e.g. the tail of a log); the server may truncate it. */
      body: z.string().nullish(),
      /** The job's exit status 0-255 (0 = success, else a fail; the kind is then ignored). */
      exitStatus: z.number({ message: 'must be a number' }).nullish(),
    })
    .strict(),
);

/** Heartbeat monitors of the project (tock.v1.MonitorService). */
export const monitorsRouter = router({
  create: p.input(coreInput<MonitorInput>()).mutation(async ({ ctx, input }) => wire.monitor(ctx.core, await ctx.core.monitors.create(ctx.actor, input))),
  get: p.input(idInput).query(async ({ ctx, input }) => wire.monitor(ctx.core, await ctx.core.monitors.get(ctx.actor, input.id))),
  list: p
    .input(pageInput)
    .query(async ({ ctx, input }) => wire.page(await ctx.core.monitors.list(ctx.actor, input ?? {}), (m) => wire.monitor(ctx.core, m))),
  update: p
    .input(updateInput<MonitorPatch>())
    .mutation(async ({ ctx, input }) => wire.monitor(ctx.core, await ctx.core.monitors.update(ctx.actor, input.id, input.patch))),
  delete: p.input(idInput).mutation(async ({ ctx, input }) => {
    await ctx.core.monitors.delete(ctx.actor, input.id);
  }),
  pause: p.input(idInput).mutation(async ({ ctx, input }) => wire.monitor(ctx.core, await ctx.core.monitors.pause(ctx.actor, input.id))),
  resume: p.input(idInput).mutation(async ({ ctx, input }) => wire.monitor(ctx.core, await ctx.core.monitors.resume(ctx.actor, input.id))),
  /** A ping through the API, by monitor id (the ping URL needs no key; this does). */
  recordPing: p.input(recordPingInput).mutation(async ({ ctx, input }) =>
    wire.monitor(
      ctx.core,
      await ctx.core.monitors.recordPing(ctx.actor, input.id, input.kind ?? 'success', { ...pingMetaOf(ctx.identity, input.body ?? null), exitStatus: input.exitStatus ?? null }),
    ),
  ),
});
