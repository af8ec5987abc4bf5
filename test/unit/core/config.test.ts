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

  it.each([
    [{ PORT: 'abc' }, "Invalid PORT='abc': expected a port number"],
    [{ GRPC_PORT: '70000' }, "Invalid GRPC_PORT='70000': expected a port number between 0 and 65535"],
    [{ LOG_LEVEL: 'loud' }, "Invalid LOG_LEVEL='loud': expected one of fatal, error, warn, info, debug, trace, silent"],
    [{ TOCK_OPEN_SIGNUP: 'maybe' }, "Invalid TOCK_OPEN_SIGNUP='maybe': expected true or false"],
    [{ DATABASE_URL: 'mysql://x' }, "Invalid DATABASE_URL='mysql://x': expected a postgresql:// URL, or leave it unset for the embedded database"],
    [{ TOCK_PING_LOG_SIZE: '0' }, "Invalid TOCK_PING_LOG_SIZE='0': expected a positive integer"],
    [{ TOCK_SMTP_URL: 'mail.example.com' }, "Invalid TOCK_SMTP_URL='mail.example.com': expected an smtp:// or smtps:// URL"],
  ])('stops on %j with one line naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });
});
