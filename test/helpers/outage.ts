import { inject } from 'vitest';
import type { Database } from '../../server/store/database.js';
import { adminQuery } from './pg.js';

/**
 * A database outage for one test file's own database on the shared server: the database
 * refuses new connections and its open ones are ended, so every statement of a pool on it
 * fails until `end()`; the server and the other files' databases are not touched.
 * PostgreSQL only (PGlite has no server to refuse connections).
 */
export interface Outage {
  /** Accepts connections again; pools reconnect on their next statement. */
  end(): Promise<void>;
}

/** Whether this run's tests have a PostgreSQL server (outages need one). */
export const outagesPossible = (): boolean => inject('dbMode') === 'postgres';

export async function startOutage(databaseUrl: string): Promise<Outage> {
  const server = inject('serverUrl');
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unexpected test database name '${name}'`);
  await adminQuery(server, `alter database ${name} allow_connections false`);
  await adminQuery(server, `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`);
  return {
    end: () => adminQuery(server, `alter database ${name} allow_connections true`),
  };
}

/** Polls `probe` until it returns true (every 50 ms, up to `timeoutMs`); throws with `what` otherwise. */
export async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The same database through a pool that fails every statement (`query`, `execute`) while `down`
 * is set: one node's outage (or its death, if it never comes back) while the others run on.
 */
export function flakyDatabase(db: Database): { db: Database; setDown(v: boolean): void } {
  let down = false;
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'execute' || prop === 'query') {
        const method = prop;
        return (sql: string, params?: unknown[], name?: string) =>
          down
            ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED (simulated outage)'), { code: 'ECONNREFUSED' }))
            : method === 'execute'
              ? target.execute(sql, params)
              : target.query(sql, params, name);
      }
      return Reflect.get(target, prop);
    },
  });
  return { db: proxy, setDown: (v) => (down = v) };
}
