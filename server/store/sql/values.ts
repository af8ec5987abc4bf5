/**
 * How values travel in raw SQL: the timer's and the job transitions' hot statements go through
 * `Database.query` (`$1` placeholders, bound parameters, prepared by name), the rest through
 * `Database.execute` (the ORM's `?` placeholders, where a JS array would be expanded into a
 * comma list). Either way:
 * - arrays travel as PostgreSQL array literals (`$1::int[]`) or as JSON
 *   (`jsonb_to_recordset($1::jsonb)`), which also carries batches of rows in one parameter;
 * - timestamps come back as text from this driver setup, so statements select them as Unix
 *   milliseconds (`ms(col)`), and take them as ISO strings.
 */

/** A PostgreSQL array literal for `?::text[]` / `?::int[]`. */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values
    .map((v) => (typeof v === 'number' ? String(v) : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`))
    .join(',')}}`;
}

/** SQL expression: a timestamptz column as whole Unix milliseconds (float8, so it reads as a JS number). */
export function ms(column: string): string {
  return `floor(extract(epoch from ${column}) * 1000)::float8`;
}

export function iso(msOrDate: number | Date | null): string | null {
  if (msOrDate === null) return null;
  return (typeof msOrDate === 'number' ? new Date(msOrDate) : msOrDate).toISOString();
}

/** A json/jsonb column: the driver hands it over parsed, or as text where its type parser is not set. */
export function jsonColumn<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

/** The column of an entity property (columns are the snake_case of the properties, see entities.ts). */
export function columnOf(property: string): string {
  return property.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
