/**
 * `@tock/client`: a typed client for Tock, the self-hosted HTTP job scheduler and heartbeat
 * monitor. `createClient` for the API, `ping` for monitors' ping URLs, `verifyWebhook` for
 * receivers of Tock's signed calls.
 *
 * @packageDocumentation
 */
export {
  createClient,
  type ClientOptions,
  type AlertsClient,
  type FlipsClient,
  type JobsClient,
  type MonitorsClient,
  type ProjectsClient,
  type SchedulesClient,
  type SyncClient,
  type TockClient,
} from './client.js';
export {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  TockError,
  ValidationError,
  type TockErrorOptions,
} from './errors.js';
export { ping, pingTarget, type PingOptions } from './ping.js';
export { verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions, type WebhookHeaders, type WebhookVerificationReason } from './webhooks.js';
export type * from './types.js';
