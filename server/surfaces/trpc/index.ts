/**
 * tRPC surface of Tock. Mount `createTrpcHandler({ core, logger })` under `/trpc` of the HTTP
 * server; clients use `@tock/client` (or `@trpc/client` with `AppRouter`).
 */
export { createTrpcHandler, MAX_BATCH_SIZE, type TrpcHandlerOptions } from './handler.js';
export { appRouter, type AppRouter } from './router.js';
export type { TockErrorData, TrpcLogger } from './errors.js';
export type { TrpcContext } from './context.js';
export type { WireApiKey, WireExecution, WireJob, WireMonitor, WirePage, WireProject, WireSchedule, WireSigningSecrets } from './codec.js';
