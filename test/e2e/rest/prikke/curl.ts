import { call, type Answer } from './harness.js';

/**
 * Runs a curl command as written in a document (`curl -X PUT URL -H ... -d '...'`) with
 * undici: the shell words are split as sh would (quotes, backslash-newline), `$VARS` in double
 * quotes and bare words are expanded from `vars`, `-d @file` reads `files`. Only what the
 * documents use is understood (-X, -H, -d/--data); anything else fails the test loudly.
 */
export function shellWords(command: string, vars: Record<string, string> = {}): string[] {
  const words: string[] = [];
  let word: string | null = null;
  const expand = (s: string) => s.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (m, name: string) => vars[name] ?? m);
  let i = 0;
  while (i < command.length) {
    const c = command[i];
    if (c === '\\' && command[i + 1] === '\n') {
      i += 2;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${command}`);
      word = (word ?? '') + command.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (command[j] !== '"') {
        if (j >= command.length) throw new Error(`unterminated " in: ${command}`);
        if (command[j] === '\\' && /["\\$`]/.test(command[j + 1])) {
          s += command[j + 1];
          j += 2;
        } else s += command[j++];
      }
      word = (word ?? '') + expand(s);
      i = j + 1;
    } else {
      let j = i;
      while (j < command.length && !/[\s'"]/.test(command[j]) && !(command[j] === '\\' && command[j + 1] === '\n')) j++;
      word = (word ?? '') + expand(command.slice(i, j));
      i = j;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

export interface CurlRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export function parseCurl(command: string, vars: Record<string, string> = {}, files: Record<string, string> = {}): CurlRequest {
  const words = shellWords(command.trim(), vars);
  if (words[0] !== 'curl') throw new Error(`not a curl command: ${command}`);
  let method: string | null = null;
  let url: string | null = null;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === '-X' || w === '--request') method = words[++i];
    else if (w === '-H' || w === '--header') {
      const h = words[++i];
      const colon = h.indexOf(':');
      headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
    } else if (w === '-d' || w === '--data' || w === '--data-raw') {
      const d = words[++i];
      if (d.startsWith('@')) {
        const file = files[d.slice(1)];
        if (file === undefined) throw new Error(`no file ${d.slice(1)} given for: ${command}`);
        body = file;
      } else body = d;
    } else if (w === '-s' || w === '-sS' || w === '-f' || w === '--fail') continue;
    else if (w.startsWith('-')) throw new Error(`curl option ${w} is not understood by this runner`);
    else url = w;
  }
  if (!url) throw new Error(`no URL in: ${command}`);
  return { method: method ?? (body === undefined ? 'GET' : 'POST'), url, headers, body };
}

/** Sends the request a curl command describes. */
export async function runCurl(command: string, vars: Record<string, string> = {}, files: Record<string, string> = {}): Promise<Answer> {
  const r = parseCurl(command, vars, files);
  const u = new URL(r.url);
  return call(u.origin, r.method, `${u.pathname}${u.search}`, { headers: r.headers, body: r.body });
}
