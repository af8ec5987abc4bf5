import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout. One logger per process; modules take a child. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'tock', ...base }, timestamp: pino.stdTimeFunctions.isoTime });
}
