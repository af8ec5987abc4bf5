/**
 * Small statistics helpers shared by the sink and the orchestrator.
 * Percentiles use the nearest-rank method on a sorted copy (no interpolation), so p100 = max
 * and every reported value is one that was actually observed.
 */

/** Nearest-rank percentile of an ascending-sorted array; NaN when empty. `p` in [0, 100]. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (p <= 0) return sorted[0];
  if (p >= 100) return sorted[n - 1];
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1];
}

/** Percentile of unsorted values (copies and sorts). */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileSorted(Float64Array.from(values as ArrayLike<number>).sort(), p);
}

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0] : Number.NaN,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** Median of repeated runs (mean of the two middle values for an even count); NaN values are ignored. */
export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Median of each numeric field over a list of run results with the same shape. Non-numeric
 * fields are taken from the first run.
 */
export function medianOfRuns<T extends object>(runs: T[]): T {
  if (runs.length === 0) throw new Error('medianOfRuns: no runs');
  const out: Record<string, unknown> = { ...(runs[0] as Record<string, unknown>) };
  for (const [key, first] of Object.entries(runs[0] as Record<string, unknown>)) {
    if (typeof first === 'number') {
      out[key] = median(runs.map((r) => (r as Record<string, unknown>)[key] as number));
    }
  }
  return out as T;
}

/** min..max of a field over runs, for showing spread next to a median. */
export function rangeOf(values: number[]): { min: number; max: number } {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length ? { min: Math.min(...v), max: Math.max(...v) } : { min: Number.NaN, max: Number.NaN };
}
