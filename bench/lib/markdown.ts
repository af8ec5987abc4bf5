/** Markdown table writer: right-aligns numeric-looking columns, escapes pipes. */

export type Cell = string | number | null | undefined;

export interface TableOptions {
  /** Column indexes to right-align; by default every column whose cells all look numeric. */
  alignRight?: number[];
}

function text(c: Cell): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'number') return Number.isFinite(c) ? String(c) : '–';
  return c.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Status cells (e.g. a pending row) do not decide a column's alignment. */
const SKIP = /^(pending|no result)/;
const NUMERIC = /^[-+]?[\d,.]+(\s?(ms|s|MB|%|×|x|req\/s|\/s))?$/;

export function markdownTable(headers: string[], rows: Cell[][], opts: TableOptions = {}): string {
  const cells = rows.map((r) => headers.map((_, i) => text(r[i])));
  const right = new Set(
    opts.alignRight ??
      headers
        .map((_, i) => i)
        .filter((i) => cells.length > 0 && cells.every((r) => r[i] === '' || r[i] === '–' || SKIP.test(r[i]) || NUMERIC.test(r[i]))),
  );
  const widths = headers.map((h, i) => Math.max(3, h.length, ...cells.map((r) => r[i].length)));
  const pad = (s: string, i: number) => (right.has(i) ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (r: string[]) => `| ${r.map(pad).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (right.has(i) ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`;
  return [line(headers), sep, ...cells.map(line)].join('\n');
}

/** Formats a number with a fixed number of decimals and thousands separators; '–' for NaN. */
export function fmt(n: number | null | undefined, decimals = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Ratio `a / b` as "1.23×"; '–' when undefined. */
export function ratio(a: number, b: number, decimals = 2): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  return `${(a / b).toFixed(decimals)}×`;
}
