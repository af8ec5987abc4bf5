import type { Command } from 'commander';
import type { Config } from '../../config.js';
import type { ApiKey, Scope } from '../../core/types.js';
import type { Database } from '../../store/database.js';
import { CommandFailed } from '../errors.js';
import type { Output } from '../output.js';
import { progress } from '../progress.js';

/**
 * The commands that open the database themselves instead of going through a server: `migrate`,
 * and `keys create` without a key (the first key cannot come from the API, which needs one).
 * The database is DATABASE_URL, or the embedded one under DATA_DIR: through the running
 * server's socket when it runs, else opened here. Server modules load only for these commands,
 * so the API commands start fast.
 */

const DATABASE_HELP = `
Database: DATABASE_URL, or the embedded database under DATA_DIR (also while the server runs).`;

/** The configuration these commands read (DATABASE_URL, DATA_DIR, ...), parsed once. */
async function loadConfig(): Promise<Config> {
  const { parseConfig } = await import('../../config.js');
  return parseConfig();
}

/** Runs `fn` on the configured database; `fn` migrates if it needs to. */
async function withDatabase<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  const { Database } = await import('../../store/database.js');
  const { findRunningEmbeddedDatabase, startEmbeddedDatabase } = await import('../../store/embedded.js');
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!url) {
    url = await findRunningEmbeddedDatabase(config.dataDir);
    if (!url) {
      const embedded = await startEmbeddedDatabase({ dataDir: config.dataDir });
      url = embedded.url;
      stopEmbedded = () => embedded.stop();
    }
  }
  let db: Database;
  try {
    db = await Database.connect({ url, poolSize: 2 });
  } catch (err) {
    await stopEmbedded?.();
    throw new CommandFailed(`cannot open the database${config.databaseUrl ? ' at DATABASE_URL' : ` under ${config.dataDir}`}: ${(err as Error).message}`);
  }
  try {
    return await fn(db);
  } finally {
    await db.close();
    await stopEmbedded?.();
  }
}

/** Applies pending migrations, with a progress line on a terminal; returns the names applied. */
async function migrate(db: Database): Promise<string[]> {
  const pending = await db.pendingMigrations();
  if (pending.length === 0) return [];
  const bar = progress(process.stderr, 'migrate');
  let done = 0;
  try {
    return await db.migrate((name) => bar.phase(`${++done}/${pending.length} ${name}`));
  } finally {
    bar.end();
  }
}

export interface LocalKeyRequest {
  project?: string;
  name?: string;
  scopes?: string;
}

/** `keys create` on the database: a key of the project given (or of the first project), with the scopes given (default `*`). */
export async function createKeyInDatabase(out: Output, req: LocalKeyRequest): Promise<{ key: ApiKey; secret: string }> {
  const config = await loadConfig();
  const { createCore } = await import('../../core/index.js');
  const { parseScopes } = await import('../../core/auth/scopes.js');
  const { ProjectEntity } = await import('../../store/entities.js');
  const scopes: Scope[] = parseScopes(req.scopes ? req.scopes.split(',') : null, '--scopes');
  return withDatabase(config, async (db) => {
    const applied = await migrate(db);
    if (applied.length) out.say(`applied migrations first: ${applied.join(', ')}`);
    const core = createCore({ db, publicUrl: config.publicUrl, allowTargets: config.allowTargets });
    await core.bootstrap();
    const em = db.em();
    const project = req.project
      ? await em.findOne(ProjectEntity, { id: req.project })
      : (await em.find(ProjectEntity, {}, { orderBy: { id: 'asc' }, limit: 1 }))[0];
    if (!project) throw new CommandFailed(`no project with id '${req.project}'`);
    return core.keys.createUnchecked({ accountId: project.accountId, projectId: req.project ? project.id : null, name: req.name ?? 'cli', scopes });
  });
}

export function databaseCommands(program: Command, out: Output): void {
  program
    .command('migrate')
    .description('apply pending database migrations and say which (opens the database itself)')
    .addHelpText('after', `${DATABASE_HELP}\nThis command opens the database itself; it needs no server and no API key.`)
    .action(async () => {
      const config = await loadConfig();
      const applied = await withDatabase(config, migrate);
      if (applied.length === 0) out.result('database is up to date');
      else for (const name of applied) out.result(`applied ${name}`);
    });

  program
    .command('start')
    .description('run the server (the same as npm start)')
    .action(async () => {
      await import('../../main.js');
      // The server runs until a signal; main.ts ends the process itself then.
      await new Promise<never>(() => {});
    });
}

export { DATABASE_HELP };
