import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncPlan, SyncResult } from '../../../client/src/index.js';
import { repoRoot } from '../../helpers/process.js';
import { jsonOf, startCliWorld, type CliWorld } from './harness.js';

/** `tock sync <file>` against a real server: plan, apply, idempotence, prune, YAML, errors, progress. */

/** Whether util-linux `script` is here to give the CLI a terminal. */
const hasScript = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let w: CliWorld;
let dir: string;

beforeAll(async () => {
  w = await startCliWorld();
  dir = await mkdtemp(join(tmpdir(), 'tock-cli-sync-'));
});
afterAll(async () => {
  await w?.close();
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

const hook = 'https://example.com/hooks';
const doc = {
  $schema: '../docs/tock-sync.schema.json',
  schedules: [
    { key: 'nightly-backup', url: `${hook}/backup`, cron: '0 3 * * *', timezone: 'Europe/Riga', alertEmail: 'ops@example.com' },
    { key: 'hourly-report', url: `${hook}/report`, intervalSeconds: 3600 },
  ],
  monitors: [{ key: 'nightly-etl', periodSeconds: 86400, graceSeconds: 600, alertWebhook: 'https://hooks.slack.com/services/T/B/x' }],
  jobs: [{ idempotencyKey: 'migrate-2027', url: `${hook}/migrate`, scheduledAt: '2027-01-01T00:00:00Z' }],
};

describe('tock sync', () => {
  it('prints the plan with --dry-run and changes nothing', async () => {
    const path = await file('tock.json', doc);
    const r = await w.cli(['sync', path, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'schedules: 2 to create, 0 to update, 0 to delete, 0 unchanged',
        '  + nightly-backup',
        '  + hourly-report',
        'monitors: 1 to create, 0 to update, 0 to delete, 0 unchanged',
        '  + nightly-etl',
        'jobs: 1 to create, 0 to update, 0 to delete, 0 unchanged',
        '  + migrate-2027',
        'dry run: nothing was changed (4 changes planned; run without --dry-run to apply)',
        '',
      ].join('\n'),
    );
    expect((await w.client.schedules.list()).items).toEqual([]);
    expect((await w.client.monitors.list()).items).toEqual([]);
    expect((await w.client.jobs.list()).items).toEqual([]);
  });

  it('applies the file, and a second sync reports everything unchanged', async () => {
    const path = await file('tock.json', doc);
    const first = await w.cli(['sync', path]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^schedules: 2 created, 0 updated, 0 deleted, 0 unchanged\n {2}\+ nightly-backup \(sched_[0-9a-z]{26}\)\n/);
    const schedules = (await w.client.schedules.list()).items;
    expect(schedules.map((s) => [s.key, s.cron ?? s.intervalSeconds])).toEqual([
      ['nightly-backup', '0 3 * * *'],
      ['hourly-report', 3600],
    ]);
    expect(schedules[0].alertEmail).toBe('ops@example.com');
    expect((await w.client.monitors.list()).items[0]).toMatchObject({ key: 'nightly-etl', alertWebhook: 'https://hooks.slack.com/services/T/B/x' });

    const second = await w.cli(['sync', path]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(
      [
        'schedules: 0 created, 0 updated, 0 deleted, 2 unchanged',
        'monitors: 0 created, 0 updated, 0 deleted, 1 unchanged',
        'jobs: 0 created, 0 updated, 0 deleted, 1 unchanged',
        'no changes: the project already matches the file',
        '',
      ].join('\n'),
    );
  });

  it('reads a YAML file, prints each changed field from -> to, and --prune deletes what the file no longer names', async () => {
    const yaml = `# yaml-language-server: $schema=../docs/tock-sync.schema.json
schedules:
  - key: nightly-backup
    url: ${hook}/backup
    cron: "30 3 * * *"   # was 0 3
    timezone: Europe/Riga
    alertEmail: ops@example.com
    headers:
      x-team: infra
`;
    const path = await file('tock.yaml', yaml);
    const plan = await w.cli(['sync', path, '--dry-run', '--prune']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('schedules: 0 to create, 1 to update, 1 to delete, 0 unchanged\n');
    expect(plan.stdout).toMatch(/ {2}~ nightly-backup \(sched_\w+\)\n( {6}\w+: .*\n){2}/);
    expect(plan.stdout).toContain('\n      cron: "0 3 * * *" -> "30 3 * * *"\n');
    expect(plan.stdout).toContain('\n      headers: {} -> {"x-team":"infra"}\n');
    expect(plan.stdout).toMatch(/ {2}- hourly-report \(sched_\w+\)\n/);
    // Monitors and jobs are not in this file: not managed, so not pruned either.
    expect(plan.stdout).not.toContain('monitors:');
    expect((await w.client.schedules.list()).items).toHaveLength(2);

    const applied = await w.cli(['sync', path, '--prune']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('schedules: 0 created, 1 updated, 1 deleted, 0 unchanged\n');
    const left = (await w.client.schedules.list()).items;
    expect(left.map((s) => [s.key, s.cron, s.headers])).toEqual([['nightly-backup', '30 3 * * *', { 'x-team': 'infra' }]]);
    expect((await w.client.monitors.list()).items).toHaveLength(1);
  });

  it('prints the plan and the result as JSON with --json', async () => {
    const path = await file('monitors.json', { monitors: [{ key: 'nightly-etl', periodSeconds: 3600, graceSeconds: 600, alertWebhook: null }] });
    const plan = jsonOf<SyncPlan>(await w.cli(['sync', path, '--dry-run', '--json']));
    expect(plan.monitors.updated).toEqual([
      {
        key: 'nightly-etl',
        id: expect.stringMatching(/^mon_/),
        changes: { periodSeconds: { from: 86400, to: 3600 }, alertWebhook: { from: 'https://hooks.slack.com/services/T/B/x', to: null } },
      },
    ]);
    const result = jsonOf<SyncResult>(await w.cli(['sync', path, '--json']));
    expect(result.monitors.updated.map((u) => u.key)).toEqual(['nightly-etl']);
    expect(result.monitors.objects[0]).toMatchObject({ key: 'nightly-etl', periodSeconds: 3600, alertWebhook: null });
  });

  it('reads the file from stdin with -', async () => {
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['bin/tock.js', 'sync', '-', '--dry-run'],
        { cwd: repoRoot, env: { ...process.env, TOCK_URL: w.url, TOCK_API_KEY: w.adminKey } },
        (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
      child.stdin!.end('monitors:\n  - key: nightly-etl\n    periodSeconds: 3600\n    graceSeconds: 600\n');
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('monitors: 0 to create, 0 to update, 0 to delete, 1 unchanged\n');
  });

  it('fails with the server message naming the bad entry, exit 1, and writes nothing', async () => {
    const before = (await w.client.schedules.list()).items.length;
    const path = await file('bad.json', { schedules: [{ key: 'fine', url: hook, cron: '0 1 * * *' }, { key: 'broken', url: hook, cron: '61 * * * *' }] });
    const r = await w.cli(['sync', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^tock: schedules\[1\]\.cron: .*61/m);
    expect((await w.client.schedules.list()).items.length).toBe(before);
  });

  it('fails on a file that does not parse or is missing, with exit 1 and the reason', async () => {
    const broken = await file('broken.yaml', 'schedules: [ {\n');
    const r = await w.cli(['sync', broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tock: ${broken} is not valid YAML:`);
    const notAList = await file('list.yaml', '- key: a\n');
    expect((await w.cli(['sync', notAList])).stderr).toContain('expected a mapping with schedules, monitors and/or jobs');
    const missing = await w.cli(['sync', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');
  });

  const bulk = Array.from({ length: 300 }, (_, i) => ({ key: `bulk-${String(i).padStart(3, '0')}`, url: `${hook}/bulk/${i}`, intervalSeconds: 600 }));

  it('prints no progress when stderr is not a terminal', async () => {
    const path = await file('bulk-half.json', { schedules: bulk.slice(0, 150) });
    const piped = await w.cli(['sync', path]);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toMatch(/^schedules: 150 created, 0 updated, 0 deleted, 0 unchanged\n/);
  });

  it.skipIf(!hasScript)('shows progress on a terminal and erases it before the result', async () => {
    const path = await file('bulk-all.json', { schedules: bulk });
    // `script` (util-linux) runs the command on a pseudo-terminal: stderr is a TTY there.
    const command = [process.execPath, 'bin/tock.js', 'sync', path].map((a) => `'${a}'`).join(' ');
    const { stdout } = await promisify(execFile)('script', ['-q', '-e', '-c', command, '/dev/null'], {
      cwd: repoRoot,
      env: { ...process.env, TOCK_URL: w.url, TOCK_API_KEY: w.adminKey },
    });
    expect(stdout).toContain('sync: checking 300 entries');
    expect(stdout).toContain('sync: 150/150 (100%)');
    expect(stdout).toContain('\r\x1b[2Kschedules: 150 created, 0 updated, 0 deleted, 150 unchanged');
  }, 60_000);
});
