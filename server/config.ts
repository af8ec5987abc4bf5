import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
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

/** A rate: requests per window; 0 turns the limit off. */
const rate = (fallback: number) =>
  z.coerce
    .number({ message: 'expected a whole number (0 = no limit)' })
    .int('expected a whole number (0 = no limit)')
    .min(0, 'expected a whole number (0 = no limit)')
    .default(fallback);

/**
 * Limits of the HTTP port. Timeouts are seconds, not minutes, so a slow client holds a socket
 * briefly; rates bound what unauthenticated callers (pings, sign-up) can make Tock store.
 */
export interface HttpLimits {
  /** The request line and headers must arrive within this; else 408 and the socket closes. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this; else 408. Not less than headersTimeoutMs. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open connections per process; connections past it are closed at once. */
  maxConnections: number;
  /** Pings per monitor token per minute (0 = no limit). */
  pingRatePerToken: number;
  /** Pings per client IP per minute, over all tokens (0 = no limit). */
  pingRatePerIp: number;
  /** POST /signup per client IP per hour (0 = no limit). */
  signupRatePerIp: number;
  /** Clients (tokens, addresses) each rate limit remembers; the least recently seen are forgotten first. */
  rateLimitKeys: number;
  /** REST dialect requests per API key (or per client address without one) per minute (0 = no limit). */
  apiRatePerKey: number;
  /** Largest REST dialect request body, in bytes (413 past it). */
  apiBodyLimit: number;
}

export const HTTP_LIMIT_DEFAULTS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 4_096,
  pingRatePerToken: 60,
  pingRatePerIp: 600,
  signupRatePerIp: 10,
  rateLimitKeys: 10_000,
  apiRatePerKey: 6_000,
  apiBodyLimit: 2 * 1024 * 1024,
};

/**
 * Which proxies' `X-Forwarded-For` the HTTP port believes (Fastify's `trustProxy`): `false`
 * (the socket's peer is the client), `true` (any), a hop count, or addresses and CIDRs.
 */
export type TrustProxy = boolean | number | string[];

const TRUST_PROXY_HELP = 'expected false, true, a hop count, or comma-separated addresses or CIDRs (e.g. 10.0.0.0/8,127.0.0.1)';

/** Dotted-quad IPv4 or IPv6, with or without a prefix length (ipaddr.js alone also takes `10.1`). */
function isAddressOrCidr(e: string): boolean {
  return e.includes('/')
    ? ipaddr.IPv4.isValidCIDRFourPartDecimal(e) || ipaddr.IPv6.isValidCIDR(e)
    : ipaddr.IPv4.isValidFourPartDecimal(e) || ipaddr.IPv6.isValid(e);
}

const trustProxy = z
  .string()
  .default('false')
  .transform((v, ctx): TrustProxy => {
    const t = v.trim().toLowerCase();
    if (['false', '0', 'no', 'off'].includes(t)) return false;
    if (['true', 'yes', 'on'].includes(t)) return true;
    if (/^\d+$/.test(t)) return Number(t);
    const entries = t.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = entries.find((e) => !isAddressOrCidr(e));
    if (entries.length === 0 || bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: bad ? `'${bad}' is not an address or CIDR; ${TRUST_PROXY_HELP}` : TRUST_PROXY_HELP });
      return z.NEVER;
    }
    return entries;
  });

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
  TOCK_PING_LOG_SIZE: positiveInt(100),
  TOCK_DAILY_EXECUTION_LIMIT: rate(0),
  TOCK_MONITOR_LIMIT: rate(0),
  TOCK_SMTP_URL: z.string().regex(/^smtps?:\/\//, 'expected an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.com:587').optional(),
  TOCK_ALERT_FROM: z.string().min(3).max(320).default('Tock <tock@localhost>'),
  TOCK_HTTP_HEADERS_TIMEOUT_MS: positiveInt(HTTP_LIMIT_DEFAULTS.headersTimeoutMs),
  TOCK_HTTP_REQUEST_TIMEOUT_MS: positiveInt(HTTP_LIMIT_DEFAULTS.requestTimeoutMs),
  TOCK_HTTP_KEEPALIVE_TIMEOUT_MS: positiveInt(HTTP_LIMIT_DEFAULTS.keepAliveTimeoutMs),
  TOCK_HTTP_MAX_CONNECTIONS: positiveInt(HTTP_LIMIT_DEFAULTS.maxConnections),
  TOCK_PING_RATE_PER_TOKEN: rate(HTTP_LIMIT_DEFAULTS.pingRatePerToken),
  TOCK_PING_RATE_PER_IP: rate(HTTP_LIMIT_DEFAULTS.pingRatePerIp),
  TOCK_SIGNUP_RATE_PER_IP: rate(HTTP_LIMIT_DEFAULTS.signupRatePerIp),
  TOCK_RATE_LIMIT_KEYS: positiveInt(HTTP_LIMIT_DEFAULTS.rateLimitKeys),
  TOCK_API_RATE_PER_KEY: rate(HTTP_LIMIT_DEFAULTS.apiRatePerKey),
  TOCK_API_BODY_LIMIT: positiveInt(HTTP_LIMIT_DEFAULTS.apiBodyLimit),
  TOCK_GRPC_MAX_CONNECTION_AGE_MS: positiveInt(1_800_000),
  TOCK_GRPC_TLS_CERT: z.string().optional(),
  TOCK_GRPC_TLS_KEY: z.string().optional(),
  TOCK_RETENTION_DAYS: z.coerce
    .number({ message: 'expected a whole number of days (0 = keep forever)' })
    .int('expected a whole number of days (0 = keep forever)')
    .min(0, 'expected a whole number of days (0 = keep forever)')
    .max(36_500, 'expected at most 36500 days (0 = keep forever)')
    .default(30),
  TOCK_METRICS: z
    .enum(['on', 'off', 'true', 'false', '1', '0'], { message: 'expected on or off' })
    .default('on')
    .transform((v) => v === 'on' || v === 'true' || v === '1'),
  TOCK_METRICS_TOKEN: z.string().min(16, 'expected at least 16 characters (it is a bearer secret)').optional(),
  TOCK_TRUST_PROXY: trustProxy,
}).superRefine((c, ctx) => {
  // A certificate without its key (or the reverse) would silently serve plaintext or not start.
  if (Boolean(c.TOCK_GRPC_TLS_CERT) !== Boolean(c.TOCK_GRPC_TLS_KEY)) {
    const missing = c.TOCK_GRPC_TLS_CERT ? 'TOCK_GRPC_TLS_KEY' : 'TOCK_GRPC_TLS_CERT';
    const given = c.TOCK_GRPC_TLS_CERT ? 'TOCK_GRPC_TLS_CERT' : 'TOCK_GRPC_TLS_KEY';
    ctx.addIssue({ code: 'custom', path: [missing], message: `is required when ${given} is set (set both for TLS on the gRPC port, or neither)` });
  }
  // Node refuses a headers timeout above the request timeout; say so at start-up instead.
  if (c.TOCK_HTTP_HEADERS_TIMEOUT_MS > c.TOCK_HTTP_REQUEST_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['TOCK_HTTP_HEADERS_TIMEOUT_MS'],
      message: `must not exceed TOCK_HTTP_REQUEST_TIMEOUT_MS (${c.TOCK_HTTP_REQUEST_TIMEOUT_MS})`,
    });
  }
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
  /** Pings kept per monitor; older ones are dropped as new ones arrive. */
  pingLogSize: number;
  /** Executions per project per UTC day after which creates answer 429; 0 = no limit. */
  dailyExecutionLimit: number;
  /** Monitors an account may have over all its projects; 0 = no limit. */
  monitorLimit: number;
  /** SMTP server for email alerts; null: email alerts fail with a message saying so. */
  smtpUrl: string | null;
  /** Sender of email alerts. */
  alertFrom: string;
  http: HttpLimits;
  /** gRPC connections are recycled (GOAWAY) after this, so clients behind a load balancer rebalance. */
  grpcMaxConnectionAgeMs: number;
  /** TLS of the gRPC port (PEM certificate chain and private key, read and checked at start-up); null: plaintext. */
  grpcTls: GrpcTls | null;
  /** Executions, pings and sent alerts older than this many days are deleted, unless a project sets its own; 0 = keep forever. */
  retentionDays: number;
  /** `/metrics` on the HTTP port: off serves none (404); `token` set asks for `Authorization: Bearer <token>`. */
  metrics: { enabled: boolean; token: string | null };
  /** Whose `X-Forwarded-For` names the client (ping logs, per-address rate limits); false: nobody's. */
  trustProxy: TrustProxy;
}

export interface GrpcTls {
  cert: Buffer;
  key: Buffer;
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
    pingLogSize: c.TOCK_PING_LOG_SIZE,
    dailyExecutionLimit: c.TOCK_DAILY_EXECUTION_LIMIT,
    monitorLimit: c.TOCK_MONITOR_LIMIT,
    smtpUrl: c.TOCK_SMTP_URL ?? null,
    alertFrom: c.TOCK_ALERT_FROM,
    http: {
      headersTimeoutMs: c.TOCK_HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: c.TOCK_HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: c.TOCK_HTTP_KEEPALIVE_TIMEOUT_MS,
      maxConnections: c.TOCK_HTTP_MAX_CONNECTIONS,
      pingRatePerToken: c.TOCK_PING_RATE_PER_TOKEN,
      pingRatePerIp: c.TOCK_PING_RATE_PER_IP,
      signupRatePerIp: c.TOCK_SIGNUP_RATE_PER_IP,
      rateLimitKeys: c.TOCK_RATE_LIMIT_KEYS,
      apiRatePerKey: c.TOCK_API_RATE_PER_KEY,
      apiBodyLimit: c.TOCK_API_BODY_LIMIT,
    },
    grpcMaxConnectionAgeMs: c.TOCK_GRPC_MAX_CONNECTION_AGE_MS,
    grpcTls: c.TOCK_GRPC_TLS_CERT && c.TOCK_GRPC_TLS_KEY ? readGrpcTls(c.TOCK_GRPC_TLS_CERT, c.TOCK_GRPC_TLS_KEY) : null,
    retentionDays: c.TOCK_RETENTION_DAYS,
    metrics: { enabled: c.TOCK_METRICS, token: c.TOCK_METRICS_TOKEN ?? null },
    trustProxy: c.TOCK_TRUST_PROXY,
  };
}

/** The gRPC port's certificate and key, checked now so that a wrong file stops start-up rather than every handshake. */
function readGrpcTls(certPath: string, keyPath: string): GrpcTls {
  const read = (name: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`Invalid ${name}='${path}': cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const cert = read('TOCK_GRPC_TLS_CERT', certPath);
  const key = read('TOCK_GRPC_TLS_KEY', keyPath);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new ConfigError(`Invalid TOCK_GRPC_TLS_CERT='${certPath}': not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError(`Invalid TOCK_GRPC_TLS_KEY='${keyPath}': not an unencrypted PEM private key (expected -----BEGIN PRIVATE KEY-----)`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new ConfigError(`Invalid TOCK_GRPC_TLS_KEY='${keyPath}': it is not the private key of the certificate in TOCK_GRPC_TLS_CERT`);
  }
  return { cert, key };
}
