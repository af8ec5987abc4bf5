import { z } from 'zod';
import { syncInput } from './input.js';

/**
 * The JSON Schema of a sync file, generated from the sync input schema (so editors complete
 * exactly what the core accepts). Committed as docs/tock-sync.schema.json; a test fails when
 * the two drift. Checks that JSON Schema cannot say (cron syntax, time zones, unique keys) are
 * the core's at sync time.
 */
export function syncJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(syncInput, {
    target: 'draft-2020-12',
    io: 'input',
    // A file holds no Date: `scheduled_at` is written as an RFC 3339 string (or epoch ms).
    override: (ctx) => {
      if (ctx.zodSchema._zod.def.type === 'date') Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' });
    },
    unrepresentable: 'any',
  }) as Record<string, unknown>;
}
