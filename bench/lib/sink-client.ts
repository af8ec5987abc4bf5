import type { DueWindow, SinkStats } from '../sink.js';
import { forkTs, type ChildRpc } from './child.js';

export type { DueWindow, SinkStats };

/** Parent-side handle on the sink child process. */
export class SinkClient {
  private constructor(readonly rpc: ChildRpc, readonly url: string) {}

  static async start(): Promise<SinkClient> {
    const rpc = await forkTs('sink.ts', [], { label: 'sink' });
    const url = await rpc.call<string>('url');
    return new SinkClient(rpc, url);
  }

  count(): Promise<number> {
    return this.rpc.call<number>('count');
  }
  stats(): Promise<SinkStats> {
    return this.rpc.call<SinkStats>('stats');
  }
  /** Lateness per `bucketMs` window of due time (where in a run the late deliveries were). */
  timeline(bucketMs = 1000): Promise<Array<{ fromMs: number; count: number; p50: number; max: number }>> {
    return this.rpc.call('timeline', bucketMs);
  }
  /** Forgets everything; with a window, records only requests due within it from now on. */
  reset(window?: DueWindow): Promise<void> {
    return this.rpc.call<void>('reset', window ?? null);
  }
  close(): Promise<void> {
    return this.rpc.close();
  }
}
