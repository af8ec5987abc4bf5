import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, type DescriptorProto, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import type * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/** Registers server reflection (v1 and v1alpha) describing everything in `protos`. */
export function addReflectionService(server: grpc.Server, protos: PackageDefinition): void {
  new ReflectionService(repairDescriptors(protos)).addToServer(server);
}

/**
 * proto-loader's file descriptors (made by protobufjs, one file per package) have two defects
 * that strict clients such as grpcurl and buf curl (Go's protodesc) reject:
 * - a map field's entry type is named after the field instead of `<Field>Entry`
 *   (https://github.com/fullstorydev/grpcurl/issues/519);
 * - files declare no dependencies, so e.g. google.protobuf.Timestamp does not resolve
 *   (https://github.com/grpc/grpc-node/issues/3034).
 * This returns the definitions with both repaired; the reflection service reads nothing else.
 */
export function repairDescriptors(protos: PackageDefinition): PackageDefinition {
  const files = new Map<string, FileDescriptorProto>();
  for (const def of Object.values(protos)) {
    for (const bytes of descriptorsOf(def) ?? []) {
      const file = fromBinary(FileDescriptorProtoSchema, bytes);
      if (!files.has(file.name)) files.set(file.name, file);
    }
  }
  for (const file of files.values()) {
    file.messageType.forEach(nameMapEntries);
    const refs = typeReferences(file).map((r) => r.replace(/^\./, ''));
    file.dependency = [...files.values()]
      .filter((other) => other !== file && refs.some((r) => r.startsWith(`${other.package}.`)))
      .map((other) => other.name);
  }
  const fileDescriptorProtos = [...files.values()].map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f)));
  return Object.fromEntries(
    Object.entries(protos).map(([name, def]) => [name, descriptorsOf(def) ? { ...def, fileDescriptorProtos } : def]),
  ) as PackageDefinition;
}

/** Message and enum definitions carry the descriptors of every loaded file; services do not. */
const descriptorsOf = (def: object): Buffer[] | undefined => {
  const protos = (def as { fileDescriptorProtos?: unknown }).fileDescriptorProtos;
  return Array.isArray(protos) ? protos : undefined;
};

/** protoc's name of a map entry type: `string_labels` -> `StringLabelsEntry`. */
const mapEntryName = (field: string) => `${field.split('_').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}Entry`;

function nameMapEntries(message: DescriptorProto): void {
  for (const field of message.field) {
    const entry = message.nestedType.find((n) => n.options?.mapEntry && n.name === field.typeName);
    if (entry) entry.name = field.typeName = mapEntryName(field.name);
  }
  message.nestedType.forEach(nameMapEntries);
}

function typeReferences(file: FileDescriptorProto): string[] {
  const fromMessage = (m: DescriptorProto): string[] => [...m.field.map((f) => f.typeName), ...m.nestedType.flatMap(fromMessage)];
  return [
    ...file.messageType.flatMap(fromMessage),
    ...file.service.flatMap((s) => s.method.flatMap((m) => [m.inputType, m.outputType])),
  ].filter(Boolean);
}
