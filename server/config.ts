import { z } from 'zod';

/**
 * Configuration, parsed once at start-up from the environment. A bad value stops start-up with
 * one line naming the variable and what it accepts; nothing else reads `process.env`.
 */
const port = (fallback: number) =>
  z.coerce
    .number({ message: 'expected a port number' })
    .int('expected a port number')
    .min(0, 'expected a port number between 0 and 65535')
    .max(65535, 'expected a port number between 0 and 65535')
    .default(fallback);

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = (fallback: number) =>
  z.coerce.number({ message: 'expected a positive integer' }).int('expected a positive integer').positive('expected a positive integer').default(fallback);

const schema = z.object({
  PORT: port(8080),
  GRPC_PORT: port(50051),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgresql:// URL, or leave it unset for the embedded database')
    .optional(),
  DATA_DIR: z.string().min(1, 'expected a directory path').default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'expected one of fatal, error, warn, info, debug, trace, silent',
  }).default('info'),
  TOCK_ALLOW_TARGETS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  TOCK_OPEN_SIGNUP: bool(false),
  TOCK_PUBLIC_URL: z.string().regex(/^https?:\/\//, 'expected an http(s):// URL').optional(),
  TOCK_DB_POOL_SIZE: positiveInt(10),
  TOCK_MAX_IN_FLIGHT: positiveInt(512),
  TOCK_MAX_PER_ORIGIN: positiveInt(64),
  TOCK_MISFIRE_THRESHOLD_MS: positiveInt(60_000),
  TOCK_SCHEDULER: bool(true),
  TOCK_SHUTDOWN_DEADLINE_MS: positiveInt(25_000),
  TOCK_GRPC_MAX_CONNECTION_AGE_MS: positiveInt(1_800_000),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config {
  port: number;
  grpcPort: number;
  host: string;
  /** null: run the embedded PGlite database under `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  logLevel: RawConfig['LOG_LEVEL'];
  allowTargets: string[];
  openSignup: boolean;
  /** Base of the URLs Tock hands out (ping URLs). */
  publicUrl: string;
  dbPoolSize: number;
  maxInFlight: number;
  maxPerOrigin: number;
  misfireThresholdMs: number;
  /** false: serve the APIs only, fire nothing (an API-only node). */
  schedulerEnabled: boolean;
  shutdownDeadlineMs: number;
  /** gRPC connections are recycled (GOAWAY) after this, so clients behind a load balancer rebalance. */
  grpcMaxConnectionAgeMs: number;
}

export class ConfigError extends Error {}

export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? 'environment');
    const value = env[name];
    throw new ConfigError(`Invalid ${name}${value === undefined ? '' : `='${value}'`}: ${issue.message}`);
  }
  const c = parsed.data;
  return {
    port: c.PORT,
    grpcPort: c.GRPC_PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL ?? null,
    dataDir: c.DATA_DIR,
    logLevel: c.LOG_LEVEL,
    allowTargets: c.TOCK_ALLOW_TARGETS,
    openSignup: c.TOCK_OPEN_SIGNUP,
    publicUrl: (c.TOCK_PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, ''),
    dbPoolSize: c.TOCK_DB_POOL_SIZE,
    maxInFlight: c.TOCK_MAX_IN_FLIGHT,
    maxPerOrigin: c.TOCK_MAX_PER_ORIGIN,
    misfireThresholdMs: c.TOCK_MISFIRE_THRESHOLD_MS,
    schedulerEnabled: c.TOCK_SCHEDULER,
    shutdownDeadlineMs: c.TOCK_SHUTDOWN_DEADLINE_MS,
    grpcMaxConnectionAgeMs: c.TOCK_GRPC_MAX_CONNECTION_AGE_MS,
  };
}
