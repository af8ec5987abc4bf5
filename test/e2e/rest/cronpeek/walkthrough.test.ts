import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore, type TestCore } from '../../../helpers/core.js';
import { call, pingAt, PUBLIC_URL, startCronpeekServer, type Answer, type CronpeekServer } from './harness.js';

/**
 * docs/rest-cronpeek.md's walk-through, run as written: every ```sh block in order, each curl
 * command sent with the same flags (-X, -H, -d, -I) against a real server, with $TOCK_URL and
 * $TOCK_KEY set and $MONITOR_ID / $PING_URL taken from the monitor the walk-through creates
 * (the ping URL's public base swapped for the server's). Each command must answer 2xx.
 */
let t: TestCore;
let server: CronpeekServer;
let key: string;

beforeAll(async () => {
  t = await createTestCore({ publicUrl: PUBLIC_URL });
  server = await startCronpeekServer(t, { openSignup: true });
  key = (await t.tenant('walk-through')).secret;
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

/** The shell words of one command line: single quotes literal, double quotes with $VARS expanded. */
function words(line: string, vars: Record<string, string>): string[] {
  const out: string[] = [];
  const expand = (s: string) =>
    s.replace(/\$([A-Z_]+)/g, (_, name: string) => {
      if (!(name in vars)) throw new Error(`walk-through uses $${name} before it is known`);
      return vars[name];
    });
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] ?? expand(m[2] ?? m[3]));
  return out;
}

interface Curl {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The request a curl command line sends (the flags the walk-through uses; -s, -f, -S, --retry and --max-time change no request). */
function curl(args: string[]): Curl {
  if (args[0] !== 'curl') throw new Error(`not a curl command: ${args.join(' ')}`);
  const req: Curl = { method: '', url: '', headers: {} };
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a === '-X') req.method = args[++i];
    else if (a === '-H') {
      const [name, ...value] = args[++i].split(':');
      req.headers[name.trim().toLowerCase()] = value.join(':').trim();
    } else if (a === '-d') {
      req.body = args[++i];
      req.headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (a === '-I') req.method = 'HEAD';
    else if (a === '--retry' || a === '--max-time') i++;
    else if (/^-[fsS]+$/.test(a)) continue;
    else if (a.startsWith('-')) throw new Error(`walk-through uses curl ${a}, which this test does not know`);
    else req.url = a;
  }
  req.method ||= req.body === undefined ? 'GET' : 'POST';
  return req;
}

/** Each ```sh block's commands (continuation lines joined, comments dropped). */
function shellCommands(markdown: string): string[][] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map(([, block]) =>
    block
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
}

describe('docs/rest-cronpeek.md', () => {
  it('runs its walk-through: every command answers 2xx', async () => {
    const blocks = shellCommands(await readFile(new URL('../../../../docs/rest-cronpeek.md', import.meta.url), 'utf8'));
    const vars: Record<string, string> = { TOCK_URL: server.url, TOCK_KEY: key };
    const ran: Array<{ command: string; status: number }> = [];
    for (const commands of blocks) {
      for (const command of commands) {
        const req = curl(words(command, vars));
        const res: Answer = await call(req.url, { method: req.method, headers: req.headers, body: req.body });
        ran.push({ command, status: res.status });
        const said = `${command} answered ${res.status} ${res.text}`;
        expect(res.status, said).toBeGreaterThanOrEqual(200);
        expect(res.status, said).toBeLessThan(300);
        if (res.json?.monitorId && res.json?.pingUrl && !vars.MONITOR_ID) {
          vars.MONITOR_ID = res.json.monitorId;
          vars.PING_URL = pingAt(server, res.json.pingUrl);
        }
      }
    }
    // Health, account, create, three pings, three reads, patch, put, delete.
    expect(ran.map((r) => r.status)).toEqual([200, 201, 201, 200, 200, 200, 200, 200, 200, 200, 200, 200]);
    // The walk-through's monitor went through all of it and is gone.
    expect(vars.MONITOR_ID).toMatch(/^mon_/);
    expect(await t.database.db.execute('select id from monitors where id = ?', [vars.MONITOR_ID])).toEqual([]);
  });
});
