/**
 * Starts a service as its own supervised process, configured through the
 * environment exactly as docker-compose or Helm would, and waits until its
 * health check answers SERVING.
 */
import { join } from 'node:path';
import { checkHealth, listGrpcServices } from '@nimbus/runtime';
import { waitUntil } from '@nimbus/testkit';
import type { Logger } from 'pino';
import type { LaunchedService } from './launched-service.js';
import type { ServiceManifest } from './service-manifest.js';
import { SupervisedProcess } from './supervisor.js';

export interface ProcessLaunch {
  manifest: ServiceManifest;
  name: string;
  zone: string | undefined;
  /** host:port it listens on, planned up front so that every service knows every other's address. */
  address: string;
  /** Environment shared by every service: store, bus, region, zones, endpoints, tokens. */
  env: NodeJS.ProcessEnv;
  logDir: string;
  logger: Logger;
  startTimeoutMs: number;
}

export async function launchProcess(launch: ProcessLaunch): Promise<LaunchedService> {
  const { address } = launch;
  const logFile = join(launch.logDir, `${launch.name}.log`);
  const child = new SupervisedProcess({
    name: launch.name,
    command: process.execPath,
    args: ['--enable-source-maps', launch.manifest.entry],
    env: {
      ...launch.env,
      NIMBUS_SERVICE_NAME: launch.name,
      NIMBUS_LISTEN: address,
      ...(launch.zone ? { NIMBUS_ZONE: launch.zone } : {}),
    },
    logFile,
    logger: launch.logger,
  });
  child.start();
  let grpcServices: string[];
  try {
    await waitUntil(async () => (await checkHealth(address, '', { timeoutMs: 1_000 })) === 'SERVING', {
      timeoutMs: launch.startTimeoutMs,
      intervalMs: 100,
      message: `${launch.name} to answer its health check SERVING on ${address} (log: ${logFile})`,
    });
    child.markHealthy();
    grpcServices = await listGrpcServices(address);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    name: launch.name,
    address,
    grpcServices,
    ...(child.pid === undefined ? {} : { pid: child.pid }),
    stop: () => child.stop(),
  };
}
