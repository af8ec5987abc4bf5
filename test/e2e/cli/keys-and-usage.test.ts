import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApiKey } from '../../../client/src/index.js';
import { buildProgram } from '../../../server/cli/program.js';
import { migrationsList } from '../../../server/store/migrations/index.js';
import { adminQuery, withDatabase } from '../../helpers/pg.js';
import { run, startTs } from '../../helpers/process.js';
import { jsonOf, rowsOf, runCli, startCliWorld, type CliWorld } from './harness.js';

/** `tock keys`, `tock migrate`, help, and the exit codes of usage errors and API errors. */

let w: CliWorld;

beforeAll(async () => {
  w = await startCliWorld();
});
afterAll(async () => {
  await w?.close();
});

const KEY = /^tock_[0-9A-Za-z]{40}\n$/;

describe('tock keys', () => {
  it('creates a key on the database itself when no key is given, for bootstrapping', async () => {
    const r = await runCli(['keys', 'create', '--scopes', 'read:jobs,read:monitors', '--name', 'bootstrap'], { DATABASE_URL: w.database.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(KEY);
    expect(r.stderr).toMatch(/^created key key_\w+ \(tock_\w+…\) with scopes read:jobs read:monitors\n$/);
    const list = jsonOf<ApiKey[]>(await w.cli(['keys', 'list', '--json']));
    expect(list.find((k) => k.name === 'bootstrap')).toMatchObject({ scopes: ['read:jobs', 'read:monitors'], revokedAt: null });
    // The new key works against the server.
    const schedules = await w.cli(['schedules', 'list', '--json'], { TOCK_API_KEY: r.stdout.trim() });
    expect(schedules.code).toBe(0);
  });

  it('creates, lists and revokes keys through the API when a key is given', async () => {
    const created = await w.cli(['keys', 'create', '--scopes', 'read:jobs', '--name', 'ci']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(KEY);
    const secret = created.stdout.trim();
    const id = /created key (key_\w+)/.exec(created.stderr)![1];

    const table = await w.cli(['keys', 'list']);
    expect(table.code).toBe(0);
    const rows = rowsOf(table.stdout);
    expect(rows[0]).toEqual(['ID', 'NAME', 'PREFIX', 'SCOPES', 'PROJECT', 'CREATED', 'LAST USED', 'REVOKED']);
    expect(rows.find((r) => r[0] === id)).toEqual([id, 'ci', `${secret.slice(0, 12)}…`, 'read:jobs', 'all', expect.stringMatching(/Z$/), '-', '-']);

    const revoked = await w.cli(['keys', 'revoke', id, '--json']);
    expect(jsonOf<ApiKey>(revoked).revokedAt).not.toBeNull();
    const refused = await w.cli(['schedules', 'list'], { TOCK_API_KEY: secret });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^tock: .*API key/);
  });

  it('refuses, through the API, a scope the calling key lacks, with exit 1', async () => {
    const ro = (await w.cli(['keys', 'create', '--scopes', 'read:jobs'])).stdout.trim();
    const r = await w.cli(['keys', 'create', '--scopes', 'write:jobs'], { TOCK_API_KEY: ro });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^tock: .+/);
  });
});

describe('tock migrate', () => {
  let dataDir: string | null = null;
  let fresh: Record<string, string>;
  const postgres = inject('dbMode') === 'postgres';
  const name = `tock_t_${inject('runId')}_cli_migrate`;

  beforeAll(async () => {
    if (postgres) {
      await adminQuery(inject('serverUrl'), `create database ${name}`);
      fresh = { DATABASE_URL: withDatabase(inject('serverUrl'), name) };
    } else {
      dataDir = await mkdtemp(join(tmpdir(), 'tock-cli-migrate-'));
      fresh = { DATA_DIR: dataDir };
    }
  });
  afterAll(async () => {
    if (postgres) await adminQuery(inject('serverUrl'), `drop database if exists ${name} with (force)`);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('says which migrations it applied on a fresh database, and that it is up to date after', async () => {
    const first = await runCli(['migrate'], fresh);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(migrationsList.map((m) => `applied ${m.name}\n`).join(''));
    expect(first.stderr).toBe('');
    const second = await runCli(['migrate'], fresh);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('database is up to date\n');
  }, 60_000);

  it('fails with exit 1 and says why when the database does not answer', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nothing' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tock: cannot open the database at DATABASE_URL: /);
  });
});

describe('tock start', () => {
  it('runs the server until SIGTERM, ready on /readyz', async () => {
    const server = startTs('bin/tock.js', ['start'], { DATABASE_URL: w.database.url, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', TOCK_SCHEDULER: 'false' });
    try {
      const port = await server.waitFor((l) => (typeof l === 'object' && l.msg === 'HTTP listening (REST, tRPC, health)' ? Number(l.port) : undefined));
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ready', checks: { database: 'ok', migrations: 'ok', scheduler: 'off' } });
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  }, 60_000);
});

describe('usage and errors', () => {
  it('exits 2 with a message for an unknown command, option or choice, a missing argument, and a bad value', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['frobnicate'], /^tock: unknown command 'frobnicate'/],
      [['schedules', 'list', '--colour'], /^tock: unknown option '--colour'/],
      [['schedules', 'get'], /^tock: missing required argument 'id-or-key'/],
      [['schedules', 'list', '--limit', 'ten'], /^tock: option '--limit <n>' argument 'ten' is invalid/],
      [['jobs', 'list', '--status', 'done'], /^tock: option '--status <status>' argument 'done' is invalid/],
      [['keys', 'create', '--scopes', 'read:everything'], /unknown scope 'read:everything'/],
      [['executions', 'mon_123'], /^tock: executions: expected a job id \(job_\.\.\.\), a schedule id \(sched_\.\.\.\) or a schedule's key/],
    ];
    for (const [args, message] of cases) {
      const r = await w.cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  }, 60_000);

  it('exits 2 naming the missing setting when no API key is given, and for a URL that is not one', async () => {
    const noKey = await runCli(['schedules', 'list'], { TOCK_URL: w.url });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/^tock: no API key: set TOCK_API_KEY or pass --key/);
    const badUrl = await w.cli(['schedules', 'list', '--url', 'localhost:8080']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--url \/ TOCK_URL/);
  });

  it('exits 1 with the server message for a key the server does not know, from flags or the environment', async () => {
    const bad = 'tock_' + 'x'.repeat(40);
    const byFlag = await runCli(['schedules', 'list', '--url', w.url, '--key', bad]);
    expect(byFlag.code).toBe(1);
    expect(byFlag.stderr).toBe('tock: Missing or invalid API key: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"\n');
    const byEnv = await w.cli(['keys', 'list'], { TOCK_API_KEY: bad });
    expect(byEnv.code).toBe(1);
    expect(byEnv.stderr).toBe(byFlag.stderr);
    expect(byEnv.stdout).toBe('');
  });

  it('exits 1 naming the URL setting when no server answers', async () => {
    const r = await runCli(['monitors', 'list', '--url', 'http://127.0.0.1:1', '--key', 'tock_x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tock: Could not reach Tock: .*\(is the server running at --url \/ TOCK_URL\?\)\n$/);
  });

  it('has help on every command', () => {
    const leaves: Command[] = [];
    const walk = (c: Command) => (c.commands.length ? c.commands.forEach(walk) : leaves.push(c));
    walk(buildProgram({ result() {}, say() {}, json() {} }));
    const paths = leaves.map((c) => `${c.parent?.parent ? `${c.parent.name()} ` : ''}${c.name()}`);
    expect(paths).toEqual(
      expect.arrayContaining(['sync', 'schedules list', 'schedules get', 'schedules trigger', 'schedules pause', 'schedules resume', 'jobs list', 'jobs get',
        'monitors list', 'monitors get', 'executions', 'keys create', 'keys list', 'keys revoke', 'migrate', 'start']),
    );
    for (const c of leaves) {
      const help = c.helpInformation();
      expect(help).toMatch(/^Usage: tock /);
      expect(c.description().length).toBeGreaterThan(10);
      expect(help).toContain('--help');
    }
  });

  it('lists every command in npx tock --help and npm run tock -- --help, with exit 0', async () => {
    const npx = await run('npx', ['tock', '--help'], {});
    expect(npx.code).toBe(0);
    for (const name of ['sync <file>', 'schedules list|get|trigger|pause|resume', 'jobs list|get', 'monitors list|get|pause|resume', 'executions <id-or-key>', 'keys create|list|revoke', 'migrate', 'start']) {
      expect(npx.stdout).toContain(`  ${name} `);
    }
    expect(npx.stdout).toContain('TOCK_API_KEY');
    const npm = await run('npm', ['run', '--silent', 'tock', '--', 'keys', 'create', '--help'], {});
    expect(npm.code).toBe(0);
    expect(npm.stdout).toContain('opens the database itself');
    const sub = await w.cli(['schedules', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('trigger <id-or-key>');
  }, 60_000);

  it('shows the help on stderr with exit 2 when a command group is given without a command', async () => {
    const r = await w.cli(['schedules']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: tock schedules');
    expect((await w.cli([])).code).toBe(2);
  });
});
