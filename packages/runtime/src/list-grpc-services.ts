import { createRequire } from 'node:module';
import { credentials, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
const reflectionProto = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');

let reflectionConstructor: ServiceClientConstructor | undefined;

function reflectionClient(): ServiceClientConstructor {
  reflectionConstructor ??= (
    loadPackageDefinition(loadSync(reflectionProto, { keepCase: true })) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: ServiceClientConstructor } } };
    }
  ).grpc.reflection.v1.ServerReflection;
  return reflectionConstructor;
}

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  error_response?: { error_code: number; error_message: string };
}

/**
 * The gRPC services a server declares through server reflection, without the
 * reflection and health services themselves, sorted: what the region records
 * for each service it starts.
 */
export async function listGrpcServices(
  address: string,
  options: { timeoutMs?: number } = {},
): Promise<string[]> {
  const Client = reflectionClient();
  const client = new Client(address, credentials.createInsecure());
  try {
    const names = await new Promise<string[]>((resolve, reject) => {
      const stream = (
        client as unknown as Record<string, (options: object) => NodeJS.ReadWriteStream>
      ).ServerReflectionInfo?.call(client, { deadline: Date.now() + (options.timeoutMs ?? 5_000) });
      if (!stream) return reject(new Error('reflection client has no ServerReflectionInfo'));
      stream.on('data', (response: ReflectionResponse) => {
        if (response.error_response) reject(new Error(response.error_response.error_message));
        else resolve((response.list_services_response?.service ?? []).map((s) => s.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '' } as never);
    });
    return names.filter((name) => !name.startsWith('grpc.')).sort();
  } finally {
    client.close();
  }
}
