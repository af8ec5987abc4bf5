/**
 * Exit codes scripts can trust: 0 done, 1 failed (the server refused, the file does not parse,
 * the database does not answer), 2 wrong invocation (unknown command or option, a missing
 * argument or setting). Anything else that escapes a command is a bug: exit 1 with its stack.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Wrong invocation: exits 2 with the message and a pointer to `--help`. */
export class UsageError extends Error {}

/** A command that could not do its work for a reason the message gives in full: exits 1, no stack. */
export class CommandFailed extends Error {}
