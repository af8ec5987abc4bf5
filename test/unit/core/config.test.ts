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

  it('recycles gRPC connections after 30 minutes unless TOCK_GRPC_MAX_CONNECTION_AGE_MS says otherwise', () => {
    expect(parseConfig({}).grpcMaxConnectionAgeMs).toBe(1_800_000);
    expect(parseConfig({ TOCK_GRPC_MAX_CONNECTION_AGE_MS: '600000' }).grpcMaxConnectionAgeMs).toBe(600_000);
    expect(() => parseConfig({ TOCK_GRPC_MAX_CONNECTION_AGE_MS: '0' })).toThrow("Invalid TOCK_GRPC_MAX_CONNECTION_AGE_MS='0': expected a positive integer");
  });

  it.each([
    [{ PORT: 'abc' }, "Invalid PORT='abc': expected a port number"],
    [{ GRPC_PORT: '70000' }, "Invalid GRPC_PORT='70000': expected a port number between 0 and 65535"],
    [{ LOG_LEVEL: 'loud' }, "Invalid LOG_LEVEL='loud': expected one of fatal, error, warn, info, debug, trace, silent"],
    [{ TOCK_OPEN_SIGNUP: 'maybe' }, "Invalid TOCK_OPEN_SIGNUP='maybe': expected true or false"],
    [{ DATABASE_URL: 'mysql://x' }, "Invalid DATABASE_URL='mysql://x': expected a postgresql:// URL, or leave it unset for the embedded database"],
  ])('stops on %j with one line naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });
});
