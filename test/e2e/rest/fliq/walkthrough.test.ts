import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFliqServer, type FliqServer } from './harness.js';

/**
 * docs/rest-fliq.md's walk-through, run as written: every `curl` in its ```sh blocks, with the
 * variables it names supplied here ($TOCK_URL, $TOCK_KEY, $SCHEDULED_AT) or taken from the
 * answers before ($JOB_ID, $SCHEDULE_ID: the `id` of the last job or schedule answered). Each
 * request must answer 2xx. Lines that set a variable (`NAME=...`) are the reader's setup; the
 * test checks it supplies each of them.
 */

/** The words of one shell command line: quotes, backslashes and `$NAME` / `${NAME}` as sh reads them. */
function shellWords(line: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: "'" | '"' | null = null;
  const add = (s: string) => (word = (word ?? '') + s);
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else add(c);
    } else if (c === '\\' && i + 1 < line.length && (quote === null || '$"\\`'.includes(line[i + 1]))) {
      add(line[++i]);
    } else if (c === '$') {
      const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(line.slice(i));
      if (!m) throw new Error(`unsupported $ in: ${line}`);
      const name = m[1] ?? m[2];
      if (!(name in vars)) throw new Error(`the walk-through uses $${name}, which the test does not supply`);
      add(vars[name]);
      i += m[0].length - 1;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else add(c);
    } else if (c === "'" || c === '"') {
      quote = c;
      add('');
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      add(c);
    }
  }
  if (quote) throw new Error(`unclosed quote in: ${line}`);
  if (word !== null) words.push(word);
  return words;
}

interface Curl {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function curlOf(words: string[]): Curl {
  if (words[0] !== 'curl') throw new Error(`not a curl command: ${words.join(' ')}`);
  const out: Curl = { method: '', url: '', headers: {}, body: undefined };
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === '-X' || w === '--request') out.method = words[++i];
    else if (w === '-H' || w === '--header') {
      const h = words[++i];
      out.headers[h.slice(0, h.indexOf(':')).trim().toLowerCase()] = h.slice(h.indexOf(':') + 1).trim();
    } else if (w === '-d' || w === '--data' || w === '--data-raw') out.body = words[++i];
    else if (/^-[sSfi]+$/.test(w)) continue;
    else if (w.startsWith('-')) throw new Error(`unsupported curl option ${w}`);
    else out.url = w;
  }
  out.method ||= out.body === undefined ? 'GET' : 'POST';
  return out;
}

/** The ```sh blocks of a Markdown page, backslash-newlines joined, one entry per line. */
function shellLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.replace(/\\\n/g, ' ').split('\n')).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

let s: FliqServer;

beforeAll(async () => {
  s = await startFliqServer();
});
afterAll(() => s?.close());

describe('docs/rest-fliq.md', () => {
  it('splits shell words as sh does', () => {
    expect(shellWords(`curl -d '{"a": "'"$X"'"}' "$U/v1" -H 'K: v'`, { X: 'x y', U: 'http://h' })).toEqual(['curl', '-d', '{"a": "x y"}', 'http://h/v1', '-H', 'K: v']);
    expect(() => shellWords('echo $NOPE', {})).toThrow('does not supply');
  });

  it('runs its walk-through: every request answers 2xx', async () => {
    const page = await readFile(new URL('../../../../docs/rest-fliq.md', import.meta.url), 'utf8');
    const vars: Record<string, string> = {
      TOCK_URL: s.url,
      TOCK_KEY: s.admin.secret,
      SCHEDULED_AT: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    const ran: string[] = [];
    for (const line of shellLines(page)) {
      const assignment = /^([A-Z_]+)=/.exec(line);
      if (assignment) {
        expect(vars, `the test supplies ${assignment[1]}`).toHaveProperty(assignment[1]);
        continue;
      }
      const curl = curlOf(shellWords(line, vars));
      const res = await request(curl.url, { method: curl.method as 'GET', headers: curl.headers, body: curl.body });
      const text = await res.body.text();
      expect(res.statusCode, `${curl.method} ${curl.url} answered ${text}`).toBeGreaterThanOrEqual(200);
      expect(res.statusCode, `${curl.method} ${curl.url} answered ${text}`).toBeLessThan(300);
      const id = (JSON.parse(text) as { id?: string }).id;
      if (id?.startsWith('job_')) vars.JOB_ID = id;
      if (id?.startsWith('sched_')) vars.SCHEDULE_ID = id;
      ran.push(`${curl.method} ${new URL(curl.url).pathname}`);
    }
    expect(ran).toEqual([
      'POST /v1/jobs',
      `GET /v1/jobs/${vars.JOB_ID}`,
      'GET /v1/jobs',
      `GET /v1/jobs/${vars.JOB_ID}/executions`,
      `DELETE /v1/jobs/${vars.JOB_ID}`,
      'POST /v1/schedules',
      'GET /v1/schedules',
      `GET /v1/schedules/${vars.SCHEDULE_ID}`,
      `DELETE /v1/schedules/${vars.SCHEDULE_ID}`,
    ]);
    // What the walk-through made is there: the job cancelled, the schedule gone.
    expect((await s.t.core.jobs.get(s.admin.actor, vars.JOB_ID)).status).toBe('cancelled');
    expect((await s.t.core.schedules.list(s.admin.actor)).items).toEqual([]);
  });
});
