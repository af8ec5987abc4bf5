import { REST_CREATES, type RestDialect } from '../enqueue/clients.js';
import { fmt, markdownTable, ratio, type Cell } from '../lib/markdown.js';
import { medianOfRuns } from '../lib/stats.js';
import { isPending } from '../targets/types.js';
import type { BenchContext } from './common.js';
import { apiLabel, emptyLoad, enqueueUnderTimerCell, GRPC_API, type EnqueueOptions, type EnqueueResult, type TockApi } from './enqueue.js';

/**
 * The REST gateway under the timer: creates through a REST dialect's create endpoint while the
 * same node's timer fires `timerRate` one-time jobs/s, beside gRPC creates in the same
 * invocation, each in a cell of its own (fresh database, Tock server with its scheduler, driver
 * process; see `enqueueUnderTimerCell`). Each cell paces creates at `createRate`/s for
 * `timerWindowS` (p50/p99 from each create's planned start), then runs a closed loop of
 * `concurrency` in flight for as long: the highest create rate the node holds while firing.
 * A build without the dialect answers its create 404: that row is "pending".
 */

/** The clients the workload compares: the REST dialect first, gRPC as the baseline. */
export function apiClients(dialect: RestDialect): TockApi[] {
  return [{ kind: 'rest', dialect }, GRPC_API];
}

export const apiKey = (api: TockApi) => (api.kind === 'grpc' ? 'grpc' : `rest:${api.dialect}`);

export async function apiCell(api: TockApi, opts: EnqueueOptions, ctx: BenchContext): Promise<EnqueueResult> {
  try {
    return await enqueueUnderTimerCell(opts, ctx, { api, maxS: opts.timerWindowS });
  } catch (err) {
    if (!isPending(err)) throw err;
    // The gRPC cells still run: only this client is pending.
    return {
      target: 'tock',
      kind: 'single, timer firing',
      api: apiLabel(api),
      pending: (err as Error).message.replace(/^[^:]*: /, ''),
      ...emptyLoad(),
    };
  }
}

/** Goal of the gateway: a dialect's create p99 at 500/s while the timer fires 1,000/s. */
const GOAL_P99_MS = 25;

export function apiSection(results: Map<string, EnqueueResult[]>, dialect: RestDialect, opts: EnqueueOptions): string {
  const grpcRuns = results.get('grpc') ?? [];
  const grpc = grpcRuns.length ? medianOfRuns(grpcRuns) : null;
  const rows: Cell[][] = [];
  let goal = '';
  for (const api of apiClients(dialect)) {
    const rs = results.get(apiKey(api)) ?? [];
    if (!rs.length) {
      rows.push([apiLabel(api), 'no result', '', '', '', '', '', '', '', '']);
      continue;
    }
    const pending = rs.find((r) => r.pending)?.pending;
    if (pending) {
      rows.push([apiLabel(api), `pending: ${pending}`, '', '', '', '', '', '', '', '']);
      if (api.kind === 'rest') goal = `pending (${pending})`;
      continue;
    }
    const m = medianOfRuns(rs);
    const vsGrpc =
      api.kind === 'grpc'
        ? '1.00× / 1.00×'
        : grpc && !grpcRuns.some((r) => r.pending)
          ? `${ratio(m.p99, grpc.p99)} / ${ratio(m.maxCallsPerS ?? Number.NaN, grpc.maxCallsPerS ?? Number.NaN)}`
          : 'pending';
    rows.push([
      apiLabel(api),
      `${fmt(m.callsPerS)} (of ${fmt(opts.createRate)})`,
      fmt(m.p50, 1),
      fmt(m.p99, 1),
      rs.map((r) => fmt(r.p99, 1)).join(' / '),
      fmt(rs.reduce((a, r) => a + r.errors + (r.maxErrors ?? 0), 0)),
      `${fmt(m.maxCallsPerS ?? Number.NaN)} (p99 ${fmt(m.maxP99 ?? Number.NaN, 1)} ms)`,
      `${fmt(m.timerP50 ?? Number.NaN, 1)} / ${fmt(m.timerP99 ?? Number.NaN, 1)}`,
      `${fmt(m.timerDelivered ?? Number.NaN)} / ${fmt(m.timerJobs ?? Number.NaN)}`,
      vsGrpc,
    ]);
    if (api.kind === 'rest') goal = `${m.p99 <= GOAL_P99_MS ? 'met' : 'not met'} (median p99 ${fmt(m.p99, 1)} ms)`;
  }
  const table = markdownTable(
    [
      'client',
      `creates/s paced`,
      'p50 ms',
      'p99 ms',
      'p99 per run',
      'errors',
      `highest creates/s (${opts.concurrency} in flight)`,
      'fire lateness p50 / p99 ms',
      'fired / stored',
      'REST / gRPC: p99, highest rate',
    ],
    rows,
  );
  const body = REST_CREATES[dialect].body('<sink>', new Date(0), { 'x-job-id': 'enq-<n>' }, '{"n":<n>}');
  return (
    `${table}\n\nREST body (${dialect}): \`${JSON.stringify(body)}\`, Bearer key, due in an hour. ` +
    `Goal: a dialect's create p99 ≤ ${GOAL_P99_MS} ms at ${fmt(opts.createRate)}/s while the timer fires ${fmt(opts.timerRate)}/s: ${goal || 'no result'}.`
  );
}
