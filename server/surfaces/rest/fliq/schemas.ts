import { z } from 'zod';

/**
 * Fliq's request shapes: field names and JSON types as the document gives them, strict (an
 * unknown field is refused by name, so a misspelt `method` never silently becomes the default
 * POST). Values (URLs, methods, header names, retry bounds, cron, dates) are the core's to
 * check; its errors name the field.
 */

/** `is required` when absent, the type problem otherwise (the kit prefixes the field). */
const missingOr = (type: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${type}`);

const OBJECT = 'must be a JSON object';
const text = z.string({ error: missingOr('a string') });
const headers = z.record(z.string(), z.string({ error: 'header values must be strings' }), { error: 'must be an object of header names to string values' });

export const createJobBody = z
  .object(
    {
      url: text,
      http_method: text.nullish(),
      /** ISO 8601 UTC; required, and in the future (the core decides, with `future`). */
      scheduled_at: text,
      headers: headers.nullish(),
      body: text.nullish(),
      max_retries: z.number({ error: missingOr('a number') }).nullish(),
      idempotency_key: text.nullish(),
      webhook_url: text.nullish(),
      webhook_headers: headers.nullish(),
    },
    { error: OBJECT },
  )
  .strict();
export type CreateJobBody = z.output<typeof createJobBody>;

export const createScheduleBody = z
  .object(
    {
      url: text,
      http_method: text.nullish(),
      /** 5-part cron expression, UTC. */
      cron: text,
      headers: headers.nullish(),
      body: text.nullish(),
      max_retries: z.number({ error: missingOr('a number') }).nullish(),
      webhook_url: text.nullish(),
      webhook_headers: headers.nullish(),
    },
    { error: OBJECT },
  )
  .strict();
export type CreateScheduleBody = z.output<typeof createScheduleBody>;

/** The job statuses Fliq lists (codec.ts maps them onto Tock's). */
export const FLIQ_JOB_STATUSES = ['scheduled', 'success', 'failed', 'cancelled'] as const;
export type FliqJobStatus = (typeof FLIQ_JOB_STATUSES)[number];

const LIMIT_MESSAGE = 'must be a whole number from 1 to 100';
/** Page size: 1 or more; more than the maximum (100) is the maximum. */
const limit = z.coerce.number({ error: LIMIT_MESSAGE }).int(LIMIT_MESSAGE).min(1, LIMIT_MESSAGE).optional();
const cursor = z.string({ error: 'must be the next_cursor of the previous page' }).max(200, 'must be the next_cursor of the previous page').optional();

export const listJobsQuery = z
  .object({
    status: z.enum(FLIQ_JOB_STATUSES, { error: `must be one of ${FLIQ_JOB_STATUSES.join(', ')}` }).optional(),
    limit,
    cursor,
  })
  .strict();

export const listSchedulesQuery = z.object({ limit, cursor }).strict();

export const idParams = z.object({ id: z.string() });
