import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities.js';
import { migrationsList } from './migrations/index.js';

interface PgConnection {
  query(q: { text: string; values: unknown[]; name?: string }): Promise<{ rows: unknown[] }>;
}

interface KnexClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<void>;
  /** knex's tarn pool; absent once the pool is destroyed. */
  pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number; max: number };
}

/** Connections of the pool: in use by a statement, open and idle, callers waiting for one, and the cap. */
export interface PoolStats {
  busy: number;
  idle: number;
  waiting: number;
  max: number;
}

/** What runs SQL with `$1` placeholders: the database (each statement alone) or one transaction of it. */
export interface Querier {
  query<T = Record<string, unknown>>(text: string, values?: unknown[], name?: string): Promise<T[]>;
}

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  debug?: boolean;
  /**
   * Where the connection pool's own warnings go (a connection the server closed, as in a
   * restart). Default: dropped; the query that meets the closed connection fails and its
   * caller reports it.
   */
  onWarning?: (message: string) => void;
}

function warnTo(sink: ((message: string) => void) | undefined): (message: unknown) => void {
  return (message) => sink?.(String(message));
}

/**
 * The one handle on the database: MikroORM for the domain's reads and writes, and `execute`
 * for raw SQL on hot paths. Each unit of work takes a fresh `em()` fork, so no identity map
 * outlives a request.
 */
export class Database {
  private constructor(
    readonly orm: MikroORM,
    /**
     * Whether `query` may prepare named statements. Not on PGlite: every socket connection shares
     * its one backend, so a name prepared through one connection already exists for the next.
     */
    private readonly prepared: boolean,
  ) {}

  static async connect(opts: DatabaseOptions): Promise<Database> {
    const orm = await MikroORM.init({
      clientUrl: opts.url,
      entities,
      extensions: [Migrator],
      discovery: { warnWhenNoEntities: false },
      forceUtcTimezone: true,
      allowGlobalContext: false,
      debug: opts.debug ?? false,
      pool: { min: 0, max: opts.poolSize ?? 10 },
      // knex writes pool warnings with console.log, into the JSON log stream on stdout.
      driverOptions: { log: { warn: warnTo(opts.onWarning), error: warnTo(opts.onWarning), deprecate: () => {}, debug: () => {} } },
      migrations: {
        migrationsList,
        transactional: true,
        allOrNothing: true,
        snapshot: false,
        silent: true,
      },
    });
    const [{ version }] = (await orm.em.getConnection().execute('select version() as version', [], 'all')) as Array<{ version: string }>;
    return new Database(orm, !/PGlite/i.test(version));
  }

  em(): EntityManager {
    return this.orm.em.fork({ useContext: false, clear: true });
  }

  /** Applies every pending migration; returns the names applied. `onApplying` hears each name as it starts. */
  async migrate(onApplying?: (name: string) => void): Promise<string[]> {
    const migrator = this.orm.getMigrator();
    const listener = (m: { name: string }) => onApplying?.(m.name);
    migrator.on('migrating', listener);
    try {
      return (await migrator.up()).map((m) => m.name);
    } finally {
      migrator.off('migrating', listener);
    }
  }

  /** Names of the migrations this code has that the database has not applied, oldest first. */
  async pendingMigrations(): Promise<string[]> {
    return (await this.orm.getMigrator().getPendingMigrations()).map((m) => m.name);
  }

  /** Raw SQL with `?` placeholders, outside any ORM unit of work. */
  async execute<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.orm.em.getConnection().execute(sql, params, 'all')) as T[];
  }

  /**
   * Hot-path SQL with `$1, $2 ...` placeholders, sent with bound parameters on a connection of
   * the same pool. Unlike `execute`, nothing is inlined into the text (the ORM escapes every
   * parameter into the SQL string, which for a JSON batch of a few hundred rows costs more CPU
   * than the statement itself), and a `name` makes it a prepared statement, parsed and planned
   * once per connection. Values: strings, numbers, booleans, null (arrays travel as literals,
   * see store/sql/values.ts).
   */
  async query<T = Record<string, unknown>>(text: string, values: unknown[] = [], name?: string): Promise<T[]> {
    const client = this.knexClient();
    const conn = (await client.acquireConnection()) as PgConnection;
    try {
      const res = await conn.query(name === undefined || !this.prepared ? { text, values } : { name, text, values });
      return res.rows as T[];
    } finally {
      await client.releaseConnection(conn);
    }
  }

  /** What the connection pool holds now (all zero once closed). */
  poolStats(): PoolStats {
    const pool = this.knexClient().pool;
    if (!pool) return { busy: 0, idle: 0, waiting: 0, max: 0 };
    return { busy: pool.numUsed(), idle: pool.numFree(), waiting: pool.numPendingAcquires(), max: pool.max };
  }

  /**
   * `fn`'s statements (`Database.query`'s kind) in one transaction on one pooled connection:
   * committed when `fn` resolves, rolled back when it throws.
   */
  async transaction<T>(fn: (q: Querier) => Promise<T>): Promise<T> {
    const client = this.knexClient();
    const conn = (await client.acquireConnection()) as PgConnection;
    const q: Querier = {
      query: async <R>(text: string, values: unknown[] = [], name?: string) =>
        (await conn.query(name === undefined || !this.prepared ? { text, values } : { name, text, values })).rows as R[],
    };
    try {
      await conn.query({ text: 'begin', values: [] });
      let out: T;
      try {
        out = await fn(q);
      } catch (err) {
        await conn.query({ text: 'rollback', values: [] }).catch(() => {});
        throw err;
      }
      await conn.query({ text: 'commit', values: [] });
      return out;
    } finally {
      await client.releaseConnection(conn);
    }
  }

  private knexClient(): KnexClient {
    return (this.orm.em.getConnection().getKnex() as unknown as { client: KnexClient }).client;
  }

  /** True when `select 1` answers within the timeout (health checks must not hang on a dead pool). */
  async isReachable(timeoutMs = 2000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.execute('select 1').then(() => true), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.orm.close(true);
  }
}
