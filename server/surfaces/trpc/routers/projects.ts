import type { KeyInput } from '../../../core/keys/service.js';
import type { ProjectInput, ProjectPatch } from '../../../core/projects/service.js';
import * as wire from '../codec.js';
import { coreInput, idInput, pageInput, rotateSigningSecretInput, updateInput } from '../inputs.js';
import { accountProcedure as p, router } from '../trpc.js';

/** Projects and API keys of the calling key's account (tock.v1.ProjectService). `X-Tock-Project` is not used here. */
export const projectsRouter = router({
  create: p.input(coreInput<ProjectInput>()).mutation(async ({ ctx, input }) => wire.project(await ctx.core.projects.create(ctx.principal, input))),
  get: p.input(idInput).query(async ({ ctx, input }) => wire.project(await ctx.core.projects.get(ctx.principal, input.id))),
  list: p.input(pageInput).query(async ({ ctx, input }) => wire.page(await ctx.core.projects.list(ctx.principal, input ?? {}), wire.project)),
  update: p
    .input(updateInput<ProjectPatch>())
    .mutation(async ({ ctx, input }) => wire.project(await ctx.core.projects.update(ctx.principal, input.id, input.patch))),
  delete: p.input(idInput).mutation(async ({ ctx, input }) => {
    await ctx.core.projects.delete(ctx.principal, input.id);
  }),
  /** The secret is in this response only; it cannot be read again. */
  createKey: p.input(coreInput<KeyInput>()).mutation(async ({ ctx, input }) => {
    const { key, secret } = await ctx.core.keys.create(ctx.principal, input);
    return { key: wire.apiKey(key), secret };
  }),
  listKeys: p.input(pageInput).query(async ({ ctx, input }) => wire.page(await ctx.core.keys.list(ctx.principal, input ?? {}), wire.apiKey)),
  revokeKey: p.input(idInput).mutation(async ({ ctx, input }) => wire.apiKey(await ctx.core.keys.revoke(ctx.principal, input.id))),
  /**
   * The project's Standard Webhooks signing secrets (`whsec_...`): `current`, and `previous` while
   * a rotation overlaps. Needs `write:projects`: the secret lets its holder forge Tock's calls.
   */
  getSigningSecrets: p
    .input(idInput)
    .query(async ({ ctx, input }): Promise<wire.WireSigningSecrets> => ctx.core.projects.getSigningSecrets(ctx.principal, input.id)),
  /** Starts signing with a new secret; the old one keeps signing alongside unless `keepPrevious: false`. */
  rotateSigningSecret: p
    .input(rotateSigningSecretInput)
    .mutation(
      async ({ ctx, input }): Promise<wire.WireSigningSecrets> =>
        ctx.core.projects.rotateSigningSecret(ctx.principal, input.id, { keepPrevious: input.keepPrevious }),
    ),
});
