/** The channel every node LISTENs on for wake-ups (see wake.ts for the messages). */
export const WAKE_CHANNEL = 'tock_wake';

/** Sends one wake-up message to every listening node. Params: payload. */
export const NOTIFY_WAKE_SQL = `select pg_notify('${WAKE_CHANNEL}', ?)`;
