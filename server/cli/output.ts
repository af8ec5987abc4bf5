/**
 * What the `tock` command prints. Results go to stdout (tables for people, JSON with `--json`
 * for scripts); messages and progress go to stderr, so `KEY=$(tock keys create)` and
 * `tock schedules list --json | jq` see the result alone.
 */

export interface Output {
  /** One line (or block) of the result, on stdout. */
  result(text: string): void;
  /** A message for the person at the terminal, on stderr. */
  say(text: string): void;
  /** The result as JSON for scripts: Dates as ISO-8601 strings. */
  json(value: unknown): void;
}

export const stdio: Output = {
  result: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  say: (text) => void process.stderr.write(`${text}\n`),
  json: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
};

/** A column of a table: its heading and how a row shows in it. */
export interface Column<T> {
  heading: string;
  cell(row: T): string;
}

/** Rows as aligned columns (two spaces apart) under upper-case headings; the last column is not padded. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map((c) => c.heading.toUpperCase()), ...rows.map((r) => columns.map((c) => oneLine(c.cell(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  return cells.map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** One object as `field  value` lines, in the object's field order. */
export function fields(object: object): string {
  const entries = Object.entries(object);
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${oneLine(value(v))}`.trimEnd()).join('\n');
}

/** A value for a person: a time as UTC to the second, null as '-', objects and arrays as JSON. */
export function value(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (v instanceof Date) return time(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** `2026-12-01 09:30:00Z`, or '-'. */
export function time(d: Date | null): string {
  return d ? `${d.toISOString().slice(0, 19).replace('T', ' ')}Z` : '-';
}

/** `text` cut to `max` characters, marked with an ellipsis. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Control characters (newlines in a response body) would break a table's lines. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}
