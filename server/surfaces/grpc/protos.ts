import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The repository root: the nearest ancestor of this module that holds `proto/tock/v1`. Walking up
 * (instead of a fixed `../../..`) finds it both from the sources and from a `dist/` build.
 */
function repoRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', 'tock', 'v1'))) return dir;
    if (dirname(dir) === dir) throw new Error(`gRPC surface: no proto/tock/v1 directory above ${start}`);
  }
}

/**
 * Everything the server describes through reflection: the tock.v1 contract (every
 * proto/tock/v1/*.proto), the vendored health service, and the reflection services themselves
 * (so `grpcurl list` shows all that is served). The tock.v1 handlers use the generated ts-proto
 * code; this definition serves reflection and the health service implementation.
 */
export function loadServedProtos(): protoLoader.PackageDefinition {
  const root = repoRoot();
  const tockDir = join(root, 'proto');
  const vendoredDir = join(root, 'server', 'surfaces', 'grpc', 'protos');
  const reflectionDir = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '..', 'proto');
  const tockFiles = readdirSync(join(tockDir, 'tock', 'v1'))
    .filter((f) => f.endsWith('.proto'))
    .map((f) => `tock/v1/${f}`);
  return protoLoader.loadSync(
    [...tockFiles, 'grpc/health/v1/health.proto', 'grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto'],
    { includeDirs: [tockDir, vendoredDir, reflectionDir], keepCase: true, longs: String, enums: String, defaults: true },
  );
}
