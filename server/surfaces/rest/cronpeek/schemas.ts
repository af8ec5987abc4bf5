import { z } from 'zod';

/**
 * CronPeek's request shapes, as its document gives them: field names, JSON types, and the
 * minimums it states (`schedule` and `grace` at least 60 s). Bodies are strict, so a misspelt
 * field answers 400 instead of being dropped. What a value must be beyond that (email form,
 * URL scheme, the largest period and grace) is the core's to check.
 */

const required = (what: string) => (iss: { input: unknown }) => (iss.input === undefined ? 'is required' : `must be ${what}`);

const text = () => z.string({ error: required('a string') });

/** Whole seconds, at least the document's 60. */
const seconds = () =>
  z
    .number({ error: required('a whole number of seconds') })
    .int({ error: 'must be a whole number of seconds' })
    .min(60, { error: 'must be at least 60 seconds' });

const object = <S extends z.ZodRawShape>(shape: S) => z.object(shape, { error: 'must be a JSON object' }).strict();

export const accountBody = object({ email: text() });

/** POST /api/v1/monitors, and PUT (a replacement takes what a create takes). */
export const monitorBody = object({
  name: text(),
  schedule: seconds(),
  grace: seconds().nullish(),
  alertEmail: text().nullish(),
  alertWebhook: text().nullish(),
});

/** PATCH: any of the fields; null clears grace (back to its default), alertEmail and alertWebhook. */
export const monitorPatchBody = object({
  name: text().optional(),
  schedule: seconds().optional(),
  grace: seconds().nullish(),
  alertEmail: text().nullish(),
  alertWebhook: text().nullish(),
});

export const monitorParams = z.object({ id: z.string() });

export type AccountBody = z.output<typeof accountBody>;
export type MonitorBody = z.output<typeof monitorBody>;
export type MonitorPatchBody = z.output<typeof monitorPatchBody>;
