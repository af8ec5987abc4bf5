import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../server/config.js';
import { selfSignedCert, type SelfSigned } from '../../helpers/tls.js';

let one: SelfSigned;
let other: SelfSigned;
beforeAll(async () => {
  [one, other] = await Promise.all([selfSignedCert(), selfSignedCert()]);
});
afterAll(async () => {
  await Promise.all([one?.remove(), other?.remove()]);
});

const stops = (env: Record<string, string>, message: string | RegExp) => {
  expect(() => parseConfig(env)).toThrow(ConfigError);
  expect(() => parseConfig(env)).toThrow(message);
};

describe('config: TLS of the gRPC port', () => {
  it('is off by default', () => {
    expect(parseConfig({}).grpcTls).toBeNull();
  });

  it('reads the certificate and key when both are set', () => {
    const { grpcTls } = parseConfig({ TOCK_GRPC_TLS_CERT: one.certPath, TOCK_GRPC_TLS_KEY: one.keyPath });
    expect(grpcTls?.cert.equals(one.cert)).toBe(true);
    expect(grpcTls?.key.equals(one.key)).toBe(true);
  });

  it('stops when only one of the two is set, naming the missing one', () => {
    stops({ TOCK_GRPC_TLS_CERT: one.certPath }, /^Invalid TOCK_GRPC_TLS_KEY: is required when TOCK_GRPC_TLS_CERT is set/);
    stops({ TOCK_GRPC_TLS_KEY: one.keyPath }, /^Invalid TOCK_GRPC_TLS_CERT: is required when TOCK_GRPC_TLS_KEY is set/);
  });

  it('stops on a file it cannot read, naming the variable and the path', () => {
    const missing = join(one.dir, 'nope.pem');
    stops({ TOCK_GRPC_TLS_CERT: missing, TOCK_GRPC_TLS_KEY: one.keyPath }, `Invalid TOCK_GRPC_TLS_CERT='${missing}': cannot read the file (ENOENT)`);
  });

  it('stops on a certificate or key that is not PEM', async () => {
    const junk = join(one.dir, 'junk.pem');
    await writeFile(junk, 'not a certificate');
    stops({ TOCK_GRPC_TLS_CERT: junk, TOCK_GRPC_TLS_KEY: one.keyPath }, /TOCK_GRPC_TLS_CERT=.*not a PEM certificate/);
    stops({ TOCK_GRPC_TLS_CERT: one.certPath, TOCK_GRPC_TLS_KEY: junk }, /TOCK_GRPC_TLS_KEY=.*not an unencrypted PEM private key/);
  });

  it("stops when the key is not the certificate's", () => {
    stops({ TOCK_GRPC_TLS_CERT: one.certPath, TOCK_GRPC_TLS_KEY: other.keyPath }, /is not the private key of the certificate/);
  });
});
