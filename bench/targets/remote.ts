import { forkTs, type ChildRpc } from '../lib/child.js';
import type { BenchJob, BenchTarget, TargetConfig, TargetName } from './types.js';

/** A BenchTarget running in its own child process (bench/targets/host.ts). */
export class RemoteTarget implements BenchTarget {
  private constructor(
    readonly name: TargetName,
    private readonly rpc: ChildRpc,
    private readonly tuningValues: Record<string, string | number | boolean>,
  ) {}

  static async spawn(name: TargetName, config: TargetConfig = {}): Promise<RemoteTarget> {
    const rpc = await forkTs('targets/host.ts', [name, JSON.stringify(config)], { label: name });
    const tuning = await rpc.call<Record<string, string | number | boolean>>('tuning');
    return new RemoteTarget(name, rpc, tuning);
  }

  get pid(): number | undefined {
    return this.rpc.pid;
  }
  tuning(): Record<string, string | number | boolean> {
    return this.tuningValues;
  }
  setup(dbUrl: string, sinkUrl: string): Promise<void> {
    return this.rpc.call('setup', dbUrl, sinkUrl);
  }
  scheduleAt(jobs: BenchJob[]): Promise<void> {
    return this.rpc.call('scheduleAt', jobs);
  }
  start(): Promise<void> {
    return this.rpc.call('start');
  }
  stop(): Promise<void> {
    return this.rpc.call('stop');
  }
  finished(): Promise<number> {
    return this.rpc.call<number>('finished');
  }
  rssBytes(): Promise<number> {
    return this.rpc.call<number>('rssBytes');
  }
  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return this.rpc.call<T>('invoke', method, ...args);
  }
  /** Stops the target if it is still running, then ends the child process. */
  async close(): Promise<void> {
    await this.rpc.close(10_000);
  }
}
