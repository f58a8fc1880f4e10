import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { EventBus } from '@nimbus/events';
import type { Client } from '@nimbus/runtime';
import type { Store } from '@nimbus/store';
import type { ImageConfig } from '../image-config.js';

/** What the API modules are built from. */
export interface ApiDeps {
  store: Store;
  bus: EventBus;
  config: ImageConfig;
  /** Block storage, called with the region's service token for the account each call names. */
  storage: Client<typeof BlockStorageService>;
  /** The clock, epoch ms. */
  now: () => number;
}
