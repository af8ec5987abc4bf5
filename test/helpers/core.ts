import { createCore, type Core } from '../../server/core/index.js';
import type { Clock } from '../../server/core/clock.js';
import type { Actor, Principal } from '../../server/core/types.js';
import type { Waker } from '../../server/core/wake.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestTenant {
  principal: Principal;
  actor: Actor;
  secret: string;
  projectId: string;
}

export interface TestCore {
  core: Core;
  database: TestDatabase;
  /** A new account with its default project and an all-scopes key. */
  tenant(name?: string): Promise<TestTenant>;
  close(): Promise<void>;
}

/** Target allow list of tests whose calls go to a receiver on this machine. */
export const LOOPBACK_TARGETS = ['127.0.0.1/32', 'localhost'];

/**
 * `database`: one the caller made (a private server); default: a fresh one of this test file's own.
 * `allowTargets`: the core's TOCK_ALLOW_TARGETS (none by default, as on a fresh server).
 */
export async function createTestCore(
  opts: {
    clock?: Clock;
    waker?: Waker;
    publicUrl?: string;
    database?: TestDatabase;
    allowTargets?: readonly string[];
    pingLogSize?: number;
    dailyExecutionLimit?: number;
    monitorLimit?: number;
  } = {},
): Promise<TestCore> {
  const database = opts.database ?? (await createTestDatabase());
  const core = createCore({
    db: database.db,
    clock: opts.clock,
    waker: opts.waker,
    publicUrl: opts.publicUrl ?? 'http://tock.test',
    allowTargets: opts.allowTargets,
    pingLogSize: opts.pingLogSize,
    dailyExecutionLimit: opts.dailyExecutionLimit,
    monitorLimit: opts.monitorLimit,
  });
  return {
    core,
    database,
    async tenant(name = 'tenant') {
      const { account, project } = await core.projects.createAccount({ name });
      const { secret } = await core.keys.createUnchecked({ accountId: account.id, name, scopes: ['*'] });
      const principal = await core.authenticate(secret);
      const actor = await core.actor(principal);
      return { principal, actor, secret, projectId: project.id };
    },
    close: () => database.close(),
  };
}
