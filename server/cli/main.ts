import { parseArgs } from 'node:util';
import { ConfigError, parseConfig, type Config } from '../config.js';
import { createCore } from '../core/index.js';
import { isTockError } from '../core/errors.js';
import { parseScopes } from '../core/auth/scopes.js';
import { ProjectEntity } from '../store/entities.js';
import { Database } from '../store/database.js';
import { findRunningEmbeddedDatabase, startEmbeddedDatabase } from '../store/embedded.js';

/**
 * `tock` command. Results go to stdout alone (so `KEY=$(npx tock keys create)` works); every
 * message goes to stderr.
 */
const USAGE = `usage: tock <command>

  start                                 run the server (same as npm start)
  migrate                               apply pending database migrations
  keys create [--project ID] [--scopes a,b] [--name N]
                                        create an API key and print it (only once)

Database: DATABASE_URL, or the embedded database under DATA_DIR (also while the server runs).
Scopes: read:projects write:projects read:jobs write:jobs read:monitors write:monitors *
`;

const say = (msg: string) => process.stderr.write(`${msg}\n`);

class UsageError extends Error {}

/** Connects to DATABASE_URL, to the embedded database a running server serves, or opens it here. */
async function withDatabase<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
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
  const db = await Database.connect({ url, poolSize: 2 });
  try {
    await db.migrate();
    return await fn(db);
  } finally {
    await db.close();
    await stopEmbedded?.();
  }
}

async function keysCreate(config: Config, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { project: { type: 'string' }, scopes: { type: 'string' }, name: { type: 'string' } },
    strict: true,
  });
  const scopes = parseScopes(values.scopes ? values.scopes.split(',') : null, '--scopes');
  const secret = await withDatabase(config, async (db) => {
    const core = createCore({ db, publicUrl: config.publicUrl, allowTargets: config.allowTargets });
    await core.bootstrap();
    const em = db.em();
    const project = values.project
      ? await em.findOne(ProjectEntity, { id: values.project })
      : (await em.find(ProjectEntity, {}, { orderBy: { id: 'asc' }, limit: 1 }))[0];
    if (!project) throw new UsageError(`No project with id '${values.project}'`);
    const { key, secret } = await core.keys.createUnchecked({
      accountId: project.accountId,
      projectId: values.project ? project.id : null,
      name: values.name ?? 'cli',
      scopes,
    });
    say(`created key ${key.id} (${key.prefix}…) with scopes ${key.scopes.join(' ')}${key.projectId ? ` for project ${key.projectId}` : ''}`);
    return secret;
  });
  process.stdout.write(`${secret}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stderr.write(USAGE);
    return;
  }
  if (command === 'start') {
    await import('../main.js');
    return;
  }
  const config = parseConfig();
  if (command === 'migrate') {
    const applied = await withDatabase(config, (db) => db.migrate());
    say(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    return;
  }
  if (command === 'keys' && sub === 'create') return keysCreate(config, rest);
  throw new UsageError(`unknown command '${argv.join(' ')}'`);
}

main(process.argv.slice(2)).then(
  () => {
    if (process.argv[2] !== 'start') process.exit(0);
  },
  (err) => {
    if (err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      say(`tock: ${(err as Error).message}\n`);
      process.stderr.write(USAGE);
      process.exit(2);
    }
    if (err instanceof ConfigError || isTockError(err)) {
      say(`tock: ${(err as Error).message}`);
      process.exit(2);
    }
    say(`tock: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);
