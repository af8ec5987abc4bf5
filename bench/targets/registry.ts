import type { BenchTarget, TargetConfig, TargetName } from './types.js';

/** Loads a target implementation lazily (only the child that runs it imports its dependencies). */
export async function loadTarget(name: TargetName, config: TargetConfig): Promise<BenchTarget> {
  switch (name) {
    case 'tock': {
      const { TockTarget } = await import('./tock.js');
      return new TockTarget(config);
    }
    case 'graphile-worker': {
      const { GraphileWorkerTarget } = await import('../peers/graphile-worker.js');
      return new GraphileWorkerTarget(config);
    }
    case 'pg-boss': {
      const { PgBossTarget } = await import('../peers/pg-boss.js');
      return new PgBossTarget(config);
    }
    default:
      throw new Error(`unknown target ${String(name)}`);
  }
}
