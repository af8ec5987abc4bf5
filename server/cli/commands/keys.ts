import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ApiKey, Scope } from '../../../client/src/index.js';
import { SCOPES } from '../../core/types.js';
import { connect, serverOptions, type ConnectionFlags } from '../connection.js';
import { fields, table, time, type Column, type Output } from '../output.js';
import { createKeyInDatabase, DATABASE_HELP } from './database.js';

/**
 * `tock keys create|list|revoke`. `create` goes through the API when a key is given (--key or
 * TOCK_API_KEY) and opens the database itself otherwise: the first key of a server has no
 * key to ask the API with.
 */

interface KeyFlags extends ConnectionFlags {
  json?: boolean;
}

function scopesOf(raw: string): Scope[] {
  const scopes = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown !== undefined) throw new InvalidArgumentError(`unknown scope '${unknown}' (expected a comma-separated list of ${SCOPES.join(' ')})`);
  if (scopes.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of ${SCOPES.join(' ')}`);
  return scopes as Scope[];
}

export const KEY_COLUMNS: Column<ApiKey>[] = [
  { heading: 'id', cell: (k) => k.id },
  { heading: 'name', cell: (k) => k.name },
  { heading: 'prefix', cell: (k) => `${k.prefix}…` },
  { heading: 'scopes', cell: (k) => k.scopes.join(' ') },
  { heading: 'project', cell: (k) => k.projectId ?? 'all' },
  { heading: 'created', cell: (k) => time(k.createdAt) },
  { heading: 'last used', cell: (k) => time(k.lastUsedAt) },
  { heading: 'revoked', cell: (k) => time(k.revokedAt) },
];

export function keyCommands(program: Command, out: Output): void {
  const keys = program.command('keys').description('API keys of the account');

  serverOptions(keys.command('create').description('create an API key and print it alone on stdout (it is shown only once)'))
    .option('--name <name>', 'a name to tell the key apart', 'cli')
    .addOption(new Option('--scopes <list>', `comma-separated scopes (default *): ${SCOPES.join(' ')}`).argParser(scopesOf))
    .option('--project <id>', "limit the key to one project (default: every project of the account; without --key, the database's first project)")
    .option('--json', 'print { key, secret } as JSON')
    .addHelpText(
      'after',
      `
With --key / TOCK_API_KEY the key is created through the server's API: it can only get scopes
(and a project limit) the calling key has. Without one, this command opens the database itself
to create the first key (there is no key yet to call the API with), like \`tock migrate\`.${DATABASE_HELP}`,
    )
    .action(async (flags: KeyFlags & { name: string; scopes?: Scope[] }) => {
      let created: { key: { id: string; prefix: string; scopes: string[]; projectId: string | null }; secret: string };
      if (flags.key) {
        created = await connect(flags, { project: false }).projects.createKey({ name: flags.name, projectId: flags.project ?? null, scopes: flags.scopes ?? null });
      } else {
        created = await createKeyInDatabase(out, { project: flags.project, name: flags.name, scopes: flags.scopes?.join(',') });
      }
      const { key, secret } = created;
      if (flags.json) {
        out.json(created);
        return;
      }
      out.say(`created key ${key.id} (${key.prefix}…) with scopes ${key.scopes.join(' ')}${key.projectId ? ` for project ${key.projectId}` : ''}`);
      out.result(secret);
    });

  serverOptions(keys.command('list').description('list the keys of the account (revoked ones too), oldest first'))
    .option('--json', 'print JSON (an array) instead of a table')
    .action(async (flags: KeyFlags) => {
      const client = connect(flags, { project: false });
      const all: ApiKey[] = [];
      for await (const k of client.projects.iterateKeys({ pageSize: 200 })) all.push(k);
      if (flags.json) out.json(all);
      else out.result(table(all, KEY_COLUMNS));
    });

  serverOptions(keys.command('revoke <id>').description('revoke a key at once (idempotent)'))
    .option('--json', 'print the revoked key as JSON')
    .action(async (id: string, flags: KeyFlags) => {
      const key = await connect(flags, { project: false }).projects.revokeKey(id);
      if (flags.json) out.json(key);
      else out.result(fields(key));
    });
}
