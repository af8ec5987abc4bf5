import { z } from 'zod';
import { jobInput } from '../jobs/service.js';
import { monitorInput } from '../monitors/service.js';
import { projectSettingsInput } from '../projects/service.js';
import { scheduleInput } from '../schedules/service.js';

/**
 * The desired state of one project, as declarative sync takes it. Each entry is the core's own
 * create input for its kind, with the field sync matches it by made required; every other rule
 * is the kind's own schema. Surfaces parse their body with this, and the CLI's JSON Schema for
 * sync files is generated from it (docs/tock-sync.schema.json), so both follow one source.
 *
 * A kind left out of the input is not managed at all (nothing of it is compared or pruned);
 * a kind given as `[]` is managed and, with prune, loses every keyed object.
 */

/** The most entries of one kind a single sync takes. */
export const MAX_SYNC_ENTRIES = 10_000;

/** The core's own rule for a field, made required. */
function required<T extends z.ZodType>(field: z.ZodOptional<z.ZodNullable<T>>): T {
  return field.unwrap().unwrap();
}

export const syncScheduleEntry = scheduleInput.extend({ key: required(scheduleInput.shape.key) });
export const syncMonitorEntry = monitorInput.extend({ key: required(monitorInput.shape.key) });
export const syncJobEntry = jobInput.extend({ idempotencyKey: required(jobInput.shape.idempotencyKey) });

const entries = <T extends z.ZodType>(entry: T, description: string) =>
  z.array(entry).max(MAX_SYNC_ENTRIES, `at most ${MAX_SYNC_ENTRIES} entries in one sync`).optional().describe(description);

/** The kinds of object a sync manages, and the field each kind's entries are matched by. */
export const SYNC_MATCH_FIELD = { schedules: 'key', monitors: 'key', jobs: 'idempotencyKey' } as const;
export type SyncKindName = keyof typeof SYNC_MATCH_FIELD;

export const syncInput = z
  .object({
    $schema: z.string().optional().describe('Ignored; lets an editor find this schema.'),
    schedules: entries(
      syncScheduleEntry,
      'Recurring calls, matched by key. Left out: no schedule is touched. With prune, keyed schedules not named here are deleted (their pending runs cancelled).',
    ),
    monitors: entries(
      syncMonitorEntry,
      'Heartbeat checks, matched by key. Left out: no monitor is touched. With prune, keyed monitors not named here are deleted.',
    ),
    jobs: entries(
      syncJobEntry,
      'One-time calls, matched by idempotency key: created once, never changed (a different call under a used key is refused) and never pruned.',
    ),
    project: projectSettingsInput
      .optional()
      .describe("The project's notification channels. Left out: the project is not touched. Given: each setting it leaves out is cleared."),
  })
  .strict()
  .superRefine((input, ctx) => {
    for (const kind of Object.keys(SYNC_MATCH_FIELD) as SyncKindName[]) {
      const field = SYNC_MATCH_FIELD[kind];
      const seen = new Map<string, number>();
      (input[kind] ?? []).forEach((entry, i) => {
        const key = (entry as Record<typeof field, string>)[field];
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else ctx.addIssue({ code: 'custom', path: [kind, i, field], message: `'${key}' is also the ${field === 'key' ? 'key' : 'idempotency key'} of ${kind}[${first}]` });
      });
    }
  })
  .meta({
    title: 'Tock sync file',
    description: "The desired schedules, monitors, one-time jobs and settings of one Tock project (`tock sync <file>`).",
  });

export type SyncInput = z.input<typeof syncInput>;
export type ParsedSyncInput = z.output<typeof syncInput>;
