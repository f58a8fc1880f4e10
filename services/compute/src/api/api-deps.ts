import type { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { EventBus } from '@nimbus/events';
import type { Client, TraceJoiner } from '@nimbus/runtime';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import type { ComputeConfig } from '../compute-config.js';
import type { InstanceCache } from '../state/instance-cache.js';

/** The services compute calls, each call acting for the instance's account. */
export interface Peers {
  network: Client<typeof NetworkService>;
  storage: Client<typeof BlockStorageService>;
  image: Client<typeof ImageService>;
}

/** What every part of the API is built from. */
export interface ApiDeps {
  store: Store;
  bus: EventBus;
  logger: Logger;
  config: ComputeConfig;
  peers: Peers;
  /** Epoch ms. Default `Date.now`. */
  now: () => number;
  /** The decoded instance records, for Describe calls (without it they read the store). */
  cache?: InstanceCache;
  /** Keeps the calls' traces with the instances they launch. Default: none. */
  tracing?: TraceJoiner;
}
