import { create, type DescFile, type DescService, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { loadFileDescriptorSetFromBuffer, loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** The files declaring the services, each after its dependencies, each once. */
function filesOf(services: readonly DescService[]): DescFile[] {
  const ordered: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (file: DescFile) => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    for (const dependency of file.dependencies) visit(dependency);
    ordered.push(file);
  };
  for (const service of services) visit(service.file);
  return ordered;
}

/** The protobuf-es descriptors as the proto-loader package definition that @grpc/reflection reads. */
export function packageDefinitionOf(services: readonly DescService[]): PackageDefinition {
  const set = create(FileDescriptorSetSchema, { file: filesOf(services).map((file) => file.proto) });
  return loadFileDescriptorSetFromBuffer(Buffer.from(toBinary(FileDescriptorSetSchema, set)));
}

/**
 * gRPC server reflection (v1 and v1alpha) over the registered services and
 * grpc.health.v1, so that grpcurl and friends can call a Nimbus service
 * without its .proto files.
 */
export function createReflection(services: readonly DescService[]): ReflectionService {
  const health = loadSync(healthProtoPath);
  return new ReflectionService({ ...health, ...packageDefinitionOf(services) });
}
