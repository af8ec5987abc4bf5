import type { DialectError } from '../dialect.js';

/**
 * Fliq's error shape, `{"error": {"code", "message"}}`. The code is the core's stable code
 * (`invalid_scheduled_at`, `not_found`, `job_already_executed`, `daily_execution_limit` ...);
 * where the core names a field differently from the document, the message and code use the
 * document's name, so what to fix is spelt as the caller sent it.
 */

/** For an error about a core field Fliq names differently: the core's words in its message -> Fliq's. */
const FIELD_WORDS: Record<string, Record<string, string>> = {
  method: { method: 'http_method' },
  page_size: { page_size: 'limit' },
  page_token: { page_token: 'cursor', next_page_token: 'next_cursor' },
};

const CODES: Record<string, string> = { invalid_page_token: 'invalid_cursor' };

function renamed(message: string, words: Record<string, string>): string {
  let out = message;
  for (const [from, to] of Object.entries(words)) out = out.replace(new RegExp(`(?<![\\w.])${from}(?![\\w])`, 'g'), to);
  return out;
}

export function fliqErrorBody(e: DialectError): { error: { code: string; message: string } } {
  // An unknown field is named as the caller sent it (e.g. Tock's `method`, which Fliq calls `http_method`).
  const words = e.field && !e.message.startsWith('Unknown field') ? FIELD_WORDS[e.field] : undefined;
  return { error: { code: CODES[e.code] ?? e.code, message: words ? renamed(e.message, words) : e.message } };
}
