import { CommanderError } from 'commander';
import { ConnectionError, TockError as ClientError } from '../../client/src/index.js';
import { ConfigError } from '../config.js';
import { isTockError } from '../core/errors.js';
import { CommandFailed, EXIT, UsageError } from './errors.js';
import { stdio } from './output.js';
import { buildProgram } from './program.js';

/**
 * `tock`: see program.ts for the commands and errors.ts for the exit codes. Results go to
 * stdout alone (so `KEY=$(tock keys create)` works); every message goes to stderr.
 */

const say = (msg: string) => process.stderr.write(`tock: ${msg}\n`);

/** The exit code for what a command threw, after saying what went wrong. */
function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
    return EXIT.usage;
  }
  if (err instanceof UsageError || err instanceof ConfigError) {
    say(err.message);
    if (err instanceof UsageError) process.stderr.write('(add --help for usage)\n');
    return EXIT.usage;
  }
  if (err instanceof ConnectionError) {
    say(`${err.message} (is the server running at --url / TOCK_URL?)`);
    return EXIT.failed;
  }
  // The server's answer (ClientError), or the core's own when a command opened the database.
  if (err instanceof ClientError || err instanceof CommandFailed || isTockError(err)) {
    say((err as Error).message);
    return EXIT.failed;
  }
  say((err as Error)?.stack ?? String(err));
  return EXIT.failed;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram(stdio).parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return exitCodeOf(err);
  }
}

const code = await main(process.argv.slice(2));
// Exit once stdout has taken everything (keep-alive sockets of the client would hold the process open).
process.stdout.write('', () => process.exit(code));
