import { Option, type Command } from 'commander';
import { createClient, type TockClient } from '../../client/src/index.js';
import { UsageError } from './errors.js';

/**
 * How the `tock` command reaches a server: `--url` / `TOCK_URL` and `--key` / `TOCK_API_KEY`
 * (flags win), and `--project` for commands that act on one project.
 */

export const DEFAULT_URL = 'http://localhost:8080';

export interface ConnectionFlags {
  url: string;
  key?: string;
  project?: string;
}

/** Adds `--url` and `--key` (with their environment variables) to a command. */
export function serverOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'base URL of the Tock server').env('TOCK_URL').default(DEFAULT_URL))
    .addOption(new Option('--key <key>', 'API key (tock_...)').env('TOCK_API_KEY'));
}

/** `serverOptions` plus `--project`, for commands that act on one project. */
export function projectOptions(cmd: Command): Command {
  return serverOptions(cmd).option('--project <id>', "project to act on (default: the key's own, or the account's first)");
}

/** The `@tock/client` these flags describe; a missing key or a malformed URL is a usage error. */
export function connect(flags: ConnectionFlags, opts: { project?: boolean } = { project: true }): TockClient {
  if (!flags.key) throw new UsageError('no API key: set TOCK_API_KEY or pass --key (the first key comes from `tock keys create` on the server)');
  let url: URL;
  try {
    url = new URL(flags.url);
  } catch {
    throw new UsageError(`--url / TOCK_URL: '${flags.url}' is not a URL (expected e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url / TOCK_URL: expected an http:// or https:// URL, got '${flags.url}'`);
  }
  return createClient({ url: flags.url, apiKey: flags.key, project: opts.project ? flags.project : undefined });
}
