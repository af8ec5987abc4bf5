import type { DialectError } from '../dialect.js';
import { PRIKKE_FIELD } from './codec.js';

/**
 * Prikke's error body, `{"error": {"code", "message"}}`, with the core's stable codes. Messages
 * speak of the caller's own fields: a core field name Prikke spells otherwise (`scheduled_at`
 * is `run_at`), and a sync entry's place (`schedules[2]` is the request's `jobs[2]`), are
 * renamed where the message starts with them; a message about such a field that does not start
 * with it gets the Prikke name in front.
 */

const SYNC_ENTRY = /^schedules\[(\d+)\](?:\.|$)/;

/** The Prikke name of a field path the core (or this dialect's schemas) reported. */
export function prikkeFieldOf(field: string): string {
  const entry = SYNC_ENTRY.exec(field);
  const prefix = entry ? `jobs[${entry[1]}]` : '';
  const rest = entry ? field.slice(entry[0].length) : field;
  if (!rest) return prefix;
  const renamed = PRIKKE_FIELD[rest] ?? rest;
  return prefix ? `${prefix}.${renamed}` : renamed;
}

export function errorBody(e: DialectError): { error: { code: string; message: string } } {
  let message = e.message;
  if (e.field) {
    const mine = prikkeFieldOf(e.field);
    if (message.startsWith(`${e.field}: `)) message = `${mine}: ${message.slice(e.field.length + 2)}`;
    // A message that does not name its field ("Invalid URL ...") names it when Prikke spells it otherwise.
    else if (mine !== e.field) message = `${mine}: ${message}`;
  }
  if (e.code === 'invalid_page_token') message = 'Invalid cursor: pass back the next_cursor of the previous page unchanged';
  // A sync entry named elsewhere in a message ("is also the key of schedules[0]").
  message = message.replace(/\bschedules\[(\d+)\]/g, 'jobs[$1]');
  return { error: { code: e.code, message } };
}
