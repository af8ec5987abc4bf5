import { Command } from 'commander';
import { databaseCommands } from './commands/database.js';
import { keyCommands } from './commands/keys.js';
import { resourceCommands } from './commands/resources.js';
import { syncCommand } from './commands/sync.js';
import type { Output } from './output.js';

const VERSION = '0.1.0';

/**
 * The `tock` command tree. Settings made here before any `.command()` (exit override, output,
 * help after errors) are inherited by every subcommand.
 */
export function buildProgram(out: Output): Command {
  const program = new Command('tock')
    .description('Tock: a self-hosted HTTP job scheduler and heartbeat monitor')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void process.stdout.write(s),
      writeErr: (s) => void process.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, 'tock: ')),
    })
    .showHelpAfterError('(add --help for usage)')
    // A group lists its subcommands in the overview (`schedules list|get|...`), so `tock --help`
    // names every command; `tock <group> --help` shows each one's arguments.
    .configureHelp({
      subcommandTerm: (cmd) => {
        const subs = cmd.commands.map((c) => c.name());
        const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ');
        return subs.length ? `${cmd.name()} ${subs.join('|')}` : `${cmd.name()}${args ? ` ${args}` : ''}`;
      },
    })
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText(
      'after',
      `
Commands that talk to a server use TOCK_URL (default http://localhost:8080) and TOCK_API_KEY, or
--url and --key. \`migrate\` and \`keys create\` without a key open the database themselves
(DATABASE_URL, or the embedded one under DATA_DIR): that is how the first key is made.

Exit codes: 0 done, 1 failed (the message says why), 2 wrong usage.`,
    );
  syncCommand(program, out);
  resourceCommands(program, out);
  keyCommands(program, out);
  databaseCommands(program, out);
  return program;
}
