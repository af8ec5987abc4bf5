import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../helpers/process.js';
import { send, startServer, type CronPulseServer } from './server.js';

/**
 * docs/rest-cronpulse.md's walk-through, run as a user runs it: its ```sh blocks in bash, with
 * curl and jq, `$TOCK_URL` and `$TOCK_KEY` set to a real server. Every curl must answer 2xx
 * (`--fail-with-body` stops the script at the first that does not) and every one must run.
 */
let server: CronPulseServer;
let dir: string;

beforeAll(async () => {
  server = await startServer({ scheduler: false });
  dir = await mkdtemp(join(tmpdir(), 'tock-cronpulse-doc-'));
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function bash(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the CronPulse walk-through in docs/rest-cronpulse.md', () => {
  it('runs as written, every request answering 2xx', async () => {
    const doc = await readFile(join(repoRoot, 'docs/rest-cronpulse.md'), 'utf8');
    const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const script = blocks.join('\n');
    const requests = script.match(/\bcurl\b/g)!.length;

    const calls = join(dir, 'calls');
    const wrapped = [
      'set -euo pipefail',
      'command -v curl >/dev/null && command -v jq >/dev/null || { echo "the walk-through needs curl and jq" >&2; exit 3; }',
      // Every curl of the page: logged, and failing on any answer that is not 2xx.
      'curl() { echo call >> "$CALLS"; command curl --fail-with-body --show-error "$@"; }',
      script,
      'echo "project=$PROJECT_ID job=$JOB_ID"',
    ].join('\n');
    const run = await bash(wrapped, { TOCK_URL: server.origin, TOCK_KEY: server.key, CALLS: calls });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toHaveLength(requests);

    const [, projectId, jobId] = /project=(\S+) job=(\S+)/.exec(run.stdout)!;
    expect(projectId).toMatch(/^proj_/);
    expect(jobId).toMatch(/^sched_/);
    // The page ends by deleting what it made.
    expect((await send('GET', `${server.base}/jobs/${jobId}`, { key: server.key })).status).toBe(404);
    expect((await send('GET', `${server.base}/projects/${projectId}`, { key: server.key })).status).toBe(404);
  });
});
