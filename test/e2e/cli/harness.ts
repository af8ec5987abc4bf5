import { startTock, type RunningTock } from '../../../server/app.js';
import { parseConfig } from '../../../server/config.js';
import { createLogger } from '../../../server/logger.js';
import { createClient, type TockClient } from '../../../client/src/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { run } from '../../helpers/process.js';

/**
 * A real Tock server (the composition root, in this process) on this file's own test database,
 * and the real `tock` command run against it as a child process, as a user runs it.
 */
export interface CliWorld {
  tock: RunningTock;
  database: TestDatabase;
  /** http://127.0.0.1:<port> */
  url: string;
  /** The admin key the server printed on its first start. */
  adminKey: string;
  /** A client of the server with the admin key, to set up and check what the CLI did. */
  client: TockClient;
  /** Runs `bin/tock.js args...` with TOCK_URL and TOCK_API_KEY (the admin key) unless `env` says otherwise. */
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  close(): Promise<void>;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment of every CLI run: nothing inherited decides where it connects. */
const NEUTRAL_ENV = { TOCK_URL: '', TOCK_API_KEY: '', DATABASE_URL: '', NO_COLOR: '1' };

export async function startCliWorld(opts: { scheduler?: boolean; allowLoopback?: boolean } = {}): Promise<CliWorld> {
  const database = await createTestDatabase();
  const config = parseConfig({
    DATABASE_URL: database.url,
    PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    TOCK_SCHEDULER: opts.scheduler ? 'true' : 'false',
    TOCK_ALLOW_TARGETS: opts.allowLoopback ? '127.0.0.1/32,localhost' : '',
    TOCK_DB_POOL_SIZE: '4',
  });
  const tock = await startTock(config, { logger: createLogger('silent') });
  if (!tock.bootstrapSecret) throw new Error('expected the first start to create an admin key');
  const url = `http://127.0.0.1:${tock.http.port}`;
  const adminKey = tock.bootstrapSecret;
  return {
    tock,
    database,
    url,
    adminKey,
    client: createClient({ url, apiKey: adminKey }),
    cli: (args, env = {}) => runCli(args, { TOCK_URL: url, TOCK_API_KEY: adminKey, ...env }),
    async close() {
      await tock.stop();
      await database.close();
    },
  };
}

/** Runs the `tock` command as `npx tock` does (bin/tock.js), with only `env` deciding where it connects. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return run(process.execPath, ['bin/tock.js', ...args], { ...NEUTRAL_ENV, ...env });
}

/** The JSON a `--json` command printed. */
export function jsonOf<T>(r: CliResult): T {
  if (r.code !== 0) throw new Error(`tock exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The rows of an aligned table: each line split on runs of two or more spaces. */
export function rowsOf(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/ {2,}/));
}
