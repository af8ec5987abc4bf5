export { MAX_SYNC_ENTRIES, syncInput, type SyncInput, type SyncKindName } from './input.js';
export { syncJsonSchema } from './json-schema.js';
export type { FieldChange, FieldChanges } from './diff.js';
export type {
  SyncApplyOptions,
  SyncChanged,
  SyncExisting,
  SyncKeyed,
  SyncKindReport,
  SyncObjects,
  SyncOptions,
  SyncPlan,
  SyncProgress,
  SyncProjectReport,
  SyncResult,
  SyncService,
} from './service.js';
