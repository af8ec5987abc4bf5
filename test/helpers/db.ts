import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Database } from '../../server/store/database.js';
import { startEmbeddedDatabase } from '../../server/store/embedded.js';
import { adminQuery, withDatabase } from './pg.js';

export interface TestDatabase {
  url: string;
  db: Database;
  /** Closes the pool and drops the database. */
  close(): Promise<void>;
}

/**
 * A fresh, migrated database of this test file's own: a clone of the run's template on
 * PostgreSQL, or an in-memory PGlite when no server answered.
 */
export async function createTestDatabase(opts: { poolSize?: number } = {}): Promise<TestDatabase> {
  if (inject('dbMode') === 'pglite') {
    const embedded = await startEmbeddedDatabase({ dataDir: null });
    const db = await Database.connect({ url: embedded.url, poolSize: opts.poolSize ?? 4 });
    await db.migrate();
    return {
      url: embedded.url,
      db,
      async close() {
        await db.close();
        await embedded.stop();
      },
    };
  }
  const serverUrl = inject('serverUrl');
  const name = `tock_t_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name} template ${inject('template')}`);
  const url = withDatabase(serverUrl, name);
  const db = await Database.connect({ url, poolSize: opts.poolSize ?? 5 });
  return {
    url,
    db,
    async close() {
      await db.close();
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}
