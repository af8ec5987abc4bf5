import { RUN_FIELDS } from '../../core/schedules/runs.js';
import { columnOf } from './values.js';

/** The run's call columns (RUN_FIELDS), as a column list for an insert or select. */
export const RUN_COLUMNS = RUN_FIELDS.map(columnOf);

/** `alias.col, ...` over the run's call columns. */
export function runColumnsOf(alias: string): string {
  return RUN_COLUMNS.map((c) => `${alias}.${c}`).join(', ');
}

/** SQL expression: the run's call of row `alias` as a JSON object keyed by RUN_FIELDS (RunCall). */
export function runCallObject(alias: string): string {
  return `json_build_object(${RUN_FIELDS.map((f) => `'${f}', ${alias}.${columnOf(f)}`).join(', ')})`;
}
