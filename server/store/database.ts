import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities.js';
import { migrationsList } from './migrations/index.js';

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  debug?: boolean;
}

/**
 * The one handle on the database: MikroORM for the domain's reads and writes, and `execute`
 * for raw SQL on hot paths. Each unit of work takes a fresh `em()` fork, so no identity map
 * outlives a request.
 */
export class Database {
  private constructor(readonly orm: MikroORM) {}

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
      migrations: {
        migrationsList,
        transactional: true,
        allOrNothing: true,
        snapshot: false,
        silent: true,
      },
    });
    return new Database(orm);
  }

  em(): EntityManager {
    return this.orm.em.fork({ useContext: false, clear: true });
  }

  /** Applies every pending migration; returns the names applied. */
  async migrate(): Promise<string[]> {
    const applied = await this.orm.getMigrator().up();
    return applied.map((m) => m.name);
  }

  /** Raw SQL with `?` placeholders, outside any ORM unit of work. */
  async execute<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.orm.em.getConnection().execute(sql, params, 'all')) as T[];
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
