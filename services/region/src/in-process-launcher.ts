/**
 * Hosts a service inside the region's own process, sharing the embedded store
 * and bus: the only way services can share state that lives in one process.
 */
import { pathToFileURL } from 'node:url';
import type { EventBus } from '@nimbus/events';
import { hostServiceModule, isServiceModule } from '@nimbus/runtime';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import type { LaunchedService } from './launched-service.js';
import type { ServiceManifest } from './service-manifest.js';

export interface InProcessLaunch {
  manifest: ServiceManifest;
  name: string;
  zone: string | undefined;
  /** host:port it listens on, planned up front so that every service knows every other's address. */
  address: string;
  env: NodeJS.ProcessEnv;
  store: Store;
  bus: EventBus;
  logger: Logger;
}

export async function launchInProcess(launch: InProcessLaunch): Promise<LaunchedService> {
  const loaded: unknown = await import(pathToFileURL(launch.manifest.module).href);
  const module = (loaded as { serviceModule?: unknown }).serviceModule;
  if (!isServiceModule(module)) {
    throw new Error(
      `${launch.manifest.module} does not export a serviceModule (see packages/runtime/src/service-module.ts)`,
    );
  }
  const hosted = await hostServiceModule(module, {
    store: launch.store,
    bus: launch.bus,
    logger: launch.logger.child({ service: launch.name }),
    env: {
      ...launch.env,
      NIMBUS_SERVICE_NAME: launch.name,
      NIMBUS_LISTEN: launch.address,
      ...(launch.zone ? { NIMBUS_ZONE: launch.zone } : {}),
    },
  });
  return { name: launch.name, address: hosted.address, grpcServices: hosted.grpcServices, stop: hosted.stop };
}
