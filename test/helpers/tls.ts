import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** A self-signed certificate for 127.0.0.1 and localhost, made now with the `openssl` command; files under `dir`. */
export interface SelfSigned {
  dir: string;
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
  remove(): Promise<void>;
}

/** node:crypto makes keys but not X.509 certificates, so this runs `openssl req -x509` (a P-256 key, valid one day). */
export async function selfSignedCert(): Promise<SelfSigned> {
  const dir = await mkdtemp(join(tmpdir(), 'tock-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  try {
    await exec('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`making a test certificate needs the openssl command: ${(err as Error).message}`);
  }
  return { dir, certPath, keyPath, cert: await readFile(certPath), key: await readFile(keyPath), remove: () => rm(dir, { recursive: true, force: true }) };
}
