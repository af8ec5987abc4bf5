import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../helpers/process.js';
import { startKrafterWorld, type KrafterWorld } from './harness.js';

/**
 * The curl walk-through of docs/rest-krafter.md, run as written against a real server: every
 * ```sh block's curl commands, with $TOCK_URL and $TOCK_KEY set to this server's, $JOB_ID to
 * the id the first create answered, and the example endpoint (https://example.com) swapped for
 * a loopback receiver (a test calls nothing outside the machine). Each must answer 2xx.
 */
let w: KrafterWorld;

beforeAll(async () => {
  w = await startKrafterWorld();
});
afterAll(async () => {
  await w?.close();
});

/**
 * The commands of a shell block as lists of words: single quotes literal (they may span lines),
 * double quotes with $VARS expanded, bare words expanded; backslash-newline continues a
 * command, another unquoted newline ends it; `#` at the start of a word starts a comment.
 */
function commands(block: string, vars: Record<string, string>): string[][] {
  const expand = (t: string) => t.replace(/\$([A-Z_]+)/g, (_m, name: string) => vars[name] ?? '');
  const out: string[][] = [];
  let command: string[] = [];
  let word: string | null = null;
  const endWord = () => {
    if (word !== null) command.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (command.length) out.push(command);
    command = [];
  };
  for (let i = 0; i < block.length; i++) {
    const c = block[i];
    if (c === "'" || c === '"') {
      const end = block.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed ${c} in: ${block.slice(i, i + 60)}`);
      const quoted = block.slice(i + 1, end);
      word = (word ?? '') + (c === '"' ? expand(quoted) : quoted);
      i = end;
    } else if (c === '\\') {
      // Backslash-newline continues the command; before anything else it quotes that character.
      if (block[i + 1] === '\n') endWord();
      else word = (word ?? '') + (block[i + 1] ?? '');
      i++;
    } else if (c === '\n') {
      endCommand();
    } else if (c === ' ' || c === '\t') {
      endWord();
    } else if (c === '#' && word === null) {
      while (i < block.length && block[i] !== '\n') i++;
      endCommand();
    } else {
      let j = i;
      while (j < block.length && !/[\s'"\\]/.test(block[j])) j++;
      word = (word ?? '') + expand(block.slice(i, j));
      i = j - 1;
    }
  }
  endCommand();
  return out;
}

interface Curl {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function curl(args: string[]): Curl {
  const c: Curl = { method: 'GET', url: '', headers: {}, body: undefined };
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a === '-X') c.method = args[++i];
    else if (a === '-H') {
      const h = args[++i];
      c.headers[h.slice(0, h.indexOf(':')).trim()] = h.slice(h.indexOf(':') + 1).trim();
    } else if (a === '-d') {
      c.body = args[++i];
      if (c.method === 'GET') c.method = 'POST';
    } else if (a === '-s') continue;
    else if (a.startsWith('-')) throw new Error(`the walk-through uses a curl option this test does not know: ${a}`);
    else c.url = a;
  }
  return c;
}

/** The page's ```sh blocks. */
async function shellBlocks(): Promise<string[]> {
  const page = await readFile(join(repoRoot, 'docs/rest-krafter.md'), 'utf8');
  return [...page.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('docs/rest-krafter.md', () => {
  it('runs its walk-through: every curl answers 2xx, ending with the job deleted', async () => {
    const vars: Record<string, string> = { TOCK_URL: w.url, TOCK_KEY: w.key };
    const ran: string[] = [];
    // Expanded block by block: $JOB_ID is known once the create (in an earlier block) answered.
    for (const block of await shellBlocks()) {
      for (const args of commands(block, vars)) {
        if (args[0] === 'export') continue;
        const command = args.join(' ');
        expect(args[0], command).toBe('curl');
        const c = curl(args);
        const body = c.body?.replaceAll('https://example.com', w.receiver.url);
        const res = await fetch(c.url, { method: c.method, headers: c.headers, body });
        const text = await res.text();
        expect(res.status, `${command}\n${text}`).toBeGreaterThanOrEqual(200);
        expect(res.status, `${command}\n${text}`).toBeLessThan(300);
        vars.JOB_ID ??= JSON.parse(text).data.id;
        ran.push(`${c.method} ${new URL(c.url).pathname.replace(vars.JOB_ID, ':id')}`);
      }
    }
    expect(ran).toEqual([
      'POST /api/v1/cron/jobs',
      'GET /api/v1/cron/jobs/:id',
      'GET /api/v1/cron/jobs',
      'POST /api/v1/cron/jobs/:id/trigger',
      'GET /api/v1/cron/jobs/:id/executions',
      'POST /api/v1/cron/jobs/:id/pause',
      'POST /api/v1/cron/jobs/:id/resume',
      'PATCH /api/v1/cron/jobs/:id',
      'PUT /api/v1/cron/jobs/:id',
      'DELETE /api/v1/cron/jobs/:id',
    ]);
    expect((await w.call('GET', `/api/v1/cron/jobs/${vars.JOB_ID}`)).status).toBe(404);
  });
});
