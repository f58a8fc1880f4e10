import { credentials, makeClientConstructor, type ServiceError, status } from '@grpc/grpc-js';
import { service as healthService, type ServingStatus } from 'grpc-health-check';

/** What a health check found: the server's answer, or why there was none. */
export type HealthStatus = ServingStatus | 'SERVICE_UNKNOWN' | 'UNREACHABLE';

const HealthClient = makeClientConstructor(healthService as never, 'grpc.health.v1.Health');

/**
 * Asks a server's grpc.health.v1 for one service ('' for the whole server).
 * Never throws: an unknown service is `SERVICE_UNKNOWN`, no answer in time is `UNREACHABLE`.
 */
export function checkHealth(
  address: string,
  service = '',
  options: { timeoutMs?: number } = {},
): Promise<HealthStatus> {
  const client = new HealthClient(address, credentials.createInsecure());
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  return new Promise<HealthStatus>((resolve) => {
    const check = client.check as (
      request: { service: string },
      options: { deadline: number },
      callback: (error: ServiceError | null, response?: { status: ServingStatus }) => void,
    ) => void;
    check.call(client, { service }, { deadline }, (error, response) => {
      if (error) resolve(error.code === status.NOT_FOUND ? 'SERVICE_UNKNOWN' : 'UNREACHABLE');
      else resolve(response?.status ?? 'UNKNOWN');
    });
  }).finally(() => client.close());
}
