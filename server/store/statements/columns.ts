/**
 * Column helpers for the lean statements (`Database.query`: `$n` placeholders, bound
 * parameters, prepared by name). This driver setup returns timestamps as text, so statements
 * read them as epoch milliseconds and take them as ISO strings; json columns arrive parsed.
 */

/** `col` as whole epoch milliseconds (float8, a JS number; exact, `extract` is numeric), under its own name. */
export function msColumn(column: string, as: string = column): string {
  return `floor(extract(epoch from ${column}) * 1000)::float8 as ${as}`;
}

export function dateOf(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/** A json/jsonb column: parsed by the driver, or text where its type parser is not set. */
export function jsonOf<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

export function isoOf(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}
