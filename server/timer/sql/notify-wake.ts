/** The channel every node LISTENs on for wake-ups (see wake.ts for the messages). */
export const WAKE_CHANNEL = 'tock_wake';

/** Sends one wake-up message to every listening node. Params: payload. */
export const NOTIFY_WAKE_SQL = `select pg_notify('${WAKE_CHANNEL}', ?)`;

/** Sends several wake-up messages in one statement (one round trip). Params: payloads (text[] literal). */
export const NOTIFY_WAKES_SQL = `select pg_notify('${WAKE_CHANNEL}', p) from unnest($1::text[]) as p`;
