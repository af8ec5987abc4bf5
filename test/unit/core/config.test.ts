import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../server/config.js';

describe('config', () => {
  it('has working defaults: embedded database, ports 8080 and 50051, closed signup', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ port: 8080, grpcPort: 50051, databaseUrl: null, dataDir: './data', openSignup: false, allowTargets: [] });
  });

  it('parses values and lists', () => {
    const c = parseConfig({ PORT: '9000', TOCK_ALLOW_TARGETS: '127.0.0.1/32, localhost', TOCK_OPEN_SIGNUP: 'true', DATABASE_URL: 'postgresql://u@h/db' });
    expect(c.port).toBe(9000);
    expect(c.allowTargets).toEqual(['127.0.0.1/32', 'localhost']);
    expect(c.openSignup).toBe(true);
    expect(c.databaseUrl).toBe('postgresql://u@h/db');
    expect(c.publicUrl).toBe('http://localhost:9000');
  });

  it('reads the alert settings: ping log size, SMTP server and sender', () => {
    expect(parseConfig({})).toMatchObject({ pingLogSize: 100, smtpUrl: null, alertFrom: 'Tock <tock@localhost>' });
    const c = parseConfig({ TOCK_PING_LOG_SIZE: '20', TOCK_SMTP_URL: 'smtp://u:p@mail.example.com:587', TOCK_ALERT_FROM: 'Ops <ops@example.com>' });
    expect(c).toMatchObject({ pingLogSize: 20, smtpUrl: 'smtp://u:p@mail.example.com:587', alertFrom: 'Ops <ops@example.com>' });
  });

  it('has seconds-scale HTTP timeouts and a connection cap by default, and takes other values', () => {
    expect(parseConfig({}).http).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 4_096 });
    const c = parseConfig({ TOCK_HTTP_HEADERS_TIMEOUT_MS: '2000', TOCK_HTTP_REQUEST_TIMEOUT_MS: '4000', TOCK_HTTP_KEEPALIVE_TIMEOUT_MS: '61000', TOCK_HTTP_MAX_CONNECTIONS: '100' });
    expect(c.http).toMatchObject({ headersTimeoutMs: 2_000, requestTimeoutMs: 4_000, keepAliveTimeoutMs: 61_000, maxConnections: 100 });
  });

  it('limits pings and sign-ups by default, and 0 turns a limit off', () => {
    expect(parseConfig({}).http).toMatchObject({ pingRatePerToken: 60, pingRatePerIp: 600, signupRatePerIp: 10, rateLimitKeys: 10_000 });
    expect(parseConfig({ TOCK_PING_RATE_PER_IP: '0', TOCK_SIGNUP_RATE_PER_IP: '3' }).http).toMatchObject({ pingRatePerIp: 0, signupRatePerIp: 3 });
  });

  it('has no monitor limit by default, and takes one per account', () => {
    expect(parseConfig({}).monitorLimit).toBe(0);
    expect(parseConfig({ TOCK_MONITOR_LIMIT: '5' }).monitorLimit).toBe(5);
    expect(parseConfig({ TOCK_MONITOR_LIMIT: '0' }).monitorLimit).toBe(0);
  });

  it('recycles gRPC connections after 30 minutes unless TOCK_GRPC_MAX_CONNECTION_AGE_MS says otherwise', () => {
    expect(parseConfig({}).grpcMaxConnectionAgeMs).toBe(1_800_000);
    expect(parseConfig({ TOCK_GRPC_MAX_CONNECTION_AGE_MS: '600000' }).grpcMaxConnectionAgeMs).toBe(600_000);
    expect(() => parseConfig({ TOCK_GRPC_MAX_CONNECTION_AGE_MS: '0' })).toThrow("Invalid TOCK_GRPC_MAX_CONNECTION_AGE_MS='0': expected a positive integer");
  });

  it('keeps executions, pings and sent alerts 30 days by default, any other number of days, or forever with 0', () => {
    expect(parseConfig({}).retentionDays).toBe(30);
    expect(parseConfig({ TOCK_RETENTION_DAYS: '7' }).retentionDays).toBe(7);
    expect(parseConfig({ TOCK_RETENTION_DAYS: '0' }).retentionDays).toBe(0);
  });

  it('has no daily execution limit by default, and takes one', () => {
    expect(parseConfig({}).dailyExecutionLimit).toBe(0);
    expect(parseConfig({ TOCK_DAILY_EXECUTION_LIMIT: '1000' }).dailyExecutionLimit).toBe(1000);
  });

  it('serves /metrics without a token by default, and takes off or a bearer token', () => {
    expect(parseConfig({}).metrics).toEqual({ enabled: true, token: null });
    expect(parseConfig({ TOCK_METRICS: 'off' }).metrics.enabled).toBe(false);
    expect(parseConfig({ TOCK_METRICS: 'on', TOCK_METRICS_TOKEN: 'a-scrape-secret-of-some-length' }).metrics).toEqual({
      enabled: true,
      token: 'a-scrape-secret-of-some-length',
    });
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['1', 1],
    ['2', 2],
    ['10.0.0.0/8, 127.0.0.1,::1, fd00::/8', ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8']],
  ])('trusts no proxy by default; TOCK_TRUST_PROXY=%j trusts %j', (value, expected) => {
    expect(parseConfig(value === undefined ? {} : { TOCK_TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it.each([
    [{ TOCK_DAILY_EXECUTION_LIMIT: 'lots' }, "Invalid TOCK_DAILY_EXECUTION_LIMIT='lots': expected a whole number (0 = no limit)"],
    [{ TOCK_RETENTION_DAYS: '-1' }, "Invalid TOCK_RETENTION_DAYS='-1': expected a whole number of days (0 = keep forever)"],
    [{ TOCK_RETENTION_DAYS: '1.5' }, "Invalid TOCK_RETENTION_DAYS='1.5': expected a whole number of days (0 = keep forever)"],
    [{ TOCK_MONITOR_LIMIT: 'five' }, "Invalid TOCK_MONITOR_LIMIT='five': expected a whole number (0 = no limit)"],
    [{ TOCK_MONITOR_LIMIT: '2.5' }, "Invalid TOCK_MONITOR_LIMIT='2.5': expected a whole number (0 = no limit)"],
    [{ TOCK_PING_RATE_PER_TOKEN: '-1' }, "Invalid TOCK_PING_RATE_PER_TOKEN='-1': expected a whole number (0 = no limit)"],
    [{ TOCK_HTTP_MAX_CONNECTIONS: '0' }, "Invalid TOCK_HTTP_MAX_CONNECTIONS='0': expected a positive integer"],
    [
      { TOCK_HTTP_HEADERS_TIMEOUT_MS: '40000' },
      "Invalid TOCK_HTTP_HEADERS_TIMEOUT_MS='40000': must not exceed TOCK_HTTP_REQUEST_TIMEOUT_MS (30000)",
    ],
    [{ PORT: 'abc' }, "Invalid PORT='abc': expected a port number"],
    [{ GRPC_PORT: '70000' }, "Invalid GRPC_PORT='70000': expected a port number between 0 and 65535"],
    [{ LOG_LEVEL: 'loud' }, "Invalid LOG_LEVEL='loud': expected one of fatal, error, warn, info, debug, trace, silent"],
    [{ TOCK_OPEN_SIGNUP: 'maybe' }, "Invalid TOCK_OPEN_SIGNUP='maybe': expected true or false"],
    [{ DATABASE_URL: 'mysql://x' }, "Invalid DATABASE_URL='mysql://x': expected a postgresql:// URL, or leave it unset for the embedded database"],
    [{ TOCK_PING_LOG_SIZE: '0' }, "Invalid TOCK_PING_LOG_SIZE='0': expected a positive integer"],
    [{ TOCK_METRICS: 'maybe' }, "Invalid TOCK_METRICS='maybe': expected on or off"],
    [{ TOCK_METRICS_TOKEN: 'short' }, "Invalid TOCK_METRICS_TOKEN='short': expected at least 16 characters (it is a bearer secret)"],
    [{ TOCK_TRUST_PROXY: 'proxy.local' }, "Invalid TOCK_TRUST_PROXY='proxy.local': 'proxy.local' is not an address or CIDR; expected false, true, a hop count"],
    [{ TOCK_TRUST_PROXY: '10.1' }, "'10.1' is not an address or CIDR"],
    [{ TOCK_TRUST_PROXY: '10.0.0.0/33' }, "'10.0.0.0/33' is not an address or CIDR"],
    [{ TOCK_SMTP_URL: 'mail.example.com' }, "Invalid TOCK_SMTP_URL='mail.example.com': expected an smtp:// or smtps:// URL"],
  ])('stops on %j with one line naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });
});
