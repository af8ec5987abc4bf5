import type { TargetName } from '../targets/types.js';
import { latenessCell, sustained, type LatenessResult } from './lateness.js';
import type { BenchContext } from './common.js';

export interface RampResult {
  target: string;
  /** Highest rate that passed (p99 < 1 s, all delivered, no growing backlog); 0 if none did. */
  maxSustained: number;
  /** Lowest rate that failed (NaN if none failed below `maxRate`). */
  firstFailing: number;
  p99AtMax: number;
  steps: Array<Pick<LatenessResult, 'rate' | 'p50' | 'p99' | 'delivered' | 'persisted' | 'jobs' | 'headP50' | 'tailP50'> & { pass: boolean }>;
}

export interface RampOptions {
  startRate: number;
  factor: number;
  maxRate: number;
  durationS: number;
  /** Bisection steps between the last pass and the first failure. */
  refine: number;
  /** Rates are rounded to this. */
  granularity: number;
}

/**
 * Step search for the highest sustained rate: multiply the rate by `factor` while the step passes
 * (each step is a fresh lateness run of `durationS`), then bisect between the last passing and the
 * first failing rate `refine` times.
 */
export async function rampSearch(name: TargetName, opts: RampOptions, ctx: BenchContext): Promise<RampResult> {
  const steps: RampResult['steps'] = [];
  const results = new Map<number, LatenessResult>();
  const tryRate = async (rate: number) => {
    const r = await latenessCell(name, rate, opts.durationS, ctx);
    const pass = sustained(r);
    results.set(rate, r);
    steps.push({ rate, p50: r.p50, p99: r.p99, delivered: r.delivered, persisted: r.persisted, jobs: r.jobs, headP50: r.headP50, tailP50: r.tailP50, pass });
    ctx.log(`    ramp ${name} ${rate}/s: p99 ${r.p99.toFixed(0)} ms, delivered ${r.delivered}/${r.jobs}, persisted ${r.persisted}, head/tail p50 ${r.headP50.toFixed(0)}/${r.tailP50.toFixed(0)} ms -> ${pass ? 'pass' : 'FAIL'}`);
    return pass;
  };
  const round = (x: number) => Math.max(opts.granularity, Math.round(x / opts.granularity) * opts.granularity);
  let pass = 0;
  let fail = Number.NaN;
  let rate = round(opts.startRate);
  while (rate <= opts.maxRate) {
    if (await tryRate(rate)) {
      pass = rate;
      rate = round(rate * opts.factor);
    } else {
      fail = rate;
      break;
    }
  }
  if (Number.isFinite(fail)) {
    let lo = pass;
    let hi = fail;
    for (let i = 0; i < opts.refine; i++) {
      const mid = round((lo + hi) / 2);
      if (mid <= lo || mid >= hi) break;
      if (await tryRate(mid)) lo = mid;
      else hi = mid;
    }
    pass = lo;
    fail = hi;
  }
  return { target: name, maxSustained: pass, firstFailing: fail, p99AtMax: results.get(pass)?.p99 ?? Number.NaN, steps };
}
