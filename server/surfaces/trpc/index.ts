/**
 * tRPC surface of Tock. Register `trpcPlugin` on the HTTP app with `{ prefix: '/trpc', core, logger }`;
 * clients use `@tock/client` (or `@trpc/client` with `AppRouter`).
 */
export { MAX_BATCH_SIZE, trpcPlugin, type TrpcPluginOptions } from './plugin.js';
export { appRouter, type AppRouter } from './router.js';
export type { TockErrorData, TrpcLogger } from './errors.js';
export type { TrpcContext } from './context.js';
export type { WireApiKey, WireExecution, WireJob, WireMonitor, WirePage, WireProject, WireSchedule, WireSigningSecrets } from './codec.js';
